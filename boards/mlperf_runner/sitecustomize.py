"""Lets MLPerf Tiny's official runner (mlcommons/tiny benchmark/runner, unmodified) find a
serial port that has no USB ID: the pty of `tflm-py serve`, or any device file.

The runner only considers ports that pyserial lists with a USB vendor id, and matches them
against devices.yaml. Put this folder first on the runner's Python path and name the port:

    PYTHONPATH=<this folder> TFLM_PY_MLPERF_PORT=/tmp/tflm-py-dut python main.py ...

and pyserial's port list gains that port with the USB id 1209:0001 (pid.codes' test id),
which the devices.yaml entry

    - name: tflm-py-virtual
      type: dut
      usb:
        0x1209: 0x0001

names as the device under test. Nothing else of the runner changes; with the variable unset
this file does nothing. If pyusb has no libusb back end, its scan for USB-only devices
(power monitors) finds none instead of failing.
"""
import os


def _install():
    port = os.environ.get("TFLM_PY_MLPERF_PORT")
    if not port:
        return
    vid = int(os.environ.get("TFLM_PY_MLPERF_VID", "0x1209"), 0)
    pid = int(os.environ.get("TFLM_PY_MLPERF_PID", "0x0001"), 0)
    try:
        from serial.tools import list_ports, list_ports_common
    except ImportError:
        return

    original = list_ports.comports

    def comports(include_links=False):
        ports = [p for p in original(include_links) if p.device != port]
        info = list_ports_common.ListPortInfo(port, skip_link_detection=True)
        info.vid, info.pid = vid, pid
        info.description = "tflm-py virtual board"
        info.hwid = f"USB VID:PID={vid:04X}:{pid:04X}"
        return ports + [info]

    list_ports.comports = comports
    try:
        import usb.core
    except ImportError:
        return
    find = usb.core.find

    def find_or_nothing(*args, **kwargs):
        try:
            return find(*args, **kwargs)
        except usb.core.NoBackendError:
            return [] if kwargs.get("find_all") else None

    usb.core.find = find_or_nothing


_install()
