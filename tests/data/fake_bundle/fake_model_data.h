/* fake_model_data.h — hand-written test double of a generated bundle (tests only). */
#ifndef FAKE_MODEL_DATA_H
#define FAKE_MODEL_DATA_H
#define FAKE_MODEL_DATA_BYTES 56
extern const unsigned char fake_model_data[FAKE_MODEL_DATA_BYTES];
#endif
