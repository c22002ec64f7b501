/* Port layer for the host virtual board: the serial link is a pseudo-terminal.
 *
 * The program opens a pty pair, puts it in raw mode, prints "TFLM_PY_SERIAL /dev/pts/N"
 * on stdout and serves the protocol on the master side; connect a serial terminal (or
 * pyserial) to /dev/pts/N. It keeps the slave side open itself, so clients may come and
 * go. Ticks are nanoseconds of CLOCK_MONOTONIC. SIGTERM/SIGINT end it. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 600
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "tflm_py_port.h"

static int master_fd = -1;
static int slave_fd = -1;

static void fail(const char *what)
{
    fprintf(stderr, "tflm_py host board: %s: %s\n", what, strerror(errno));
    exit(1);
}

void tflm_port_init(void)
{
    master_fd = posix_openpt(O_RDWR | O_NOCTTY);
    if (master_fd < 0) fail("posix_openpt");
    if (grantpt(master_fd) != 0) fail("grantpt");
    if (unlockpt(master_fd) != 0) fail("unlockpt");
    const char *name = ptsname(master_fd);
    if (name == NULL) fail("ptsname");
    slave_fd = open(name, O_RDWR | O_NOCTTY);
    if (slave_fd < 0) fail("open slave");
    struct termios t;
    if (tcgetattr(slave_fd, &t) != 0) fail("tcgetattr");
    /* raw: no echo, no line editing, no CR/LF translation, 8 bits */
    t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXOFF);
    t.c_oflag &= ~(tcflag_t)OPOST;
    t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(slave_fd, TCSANOW, &t) != 0) fail("tcsetattr");
    signal(SIGPIPE, SIG_IGN);
    printf("TFLM_PY_SERIAL %s\n", name);
    fflush(stdout);
}

int tflm_port_getc(void)
{
    struct pollfd p = { master_fd, POLLIN, 0 };
    int r = poll(&p, 1, 20);
    if (r <= 0 || !(p.revents & POLLIN)) {
        return -1;
    }
    unsigned char c;
    ssize_t n = read(master_fd, &c, 1);
    if (n == 1) {
        return c;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR && errno != EIO) fail("read");
    return -1;
}

void tflm_port_write(const uint8_t *data, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(master_fd, data + done, n - done);
        if (w < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            fail("write");
        }
        done += (size_t)w;
    }
}

uint64_t tflm_port_ticks(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void tflm_port_ticks_restart(void)
{
}

const char *tflm_port_tick_unit(void)
{
    return "ns";
}

uint32_t tflm_port_tick_hz(void)
{
    return 1000000000u;
}

int main(void)
{
    tflm_py_fw_init();
    for (;;) {
        tflm_py_fw_poll();
    }
}
