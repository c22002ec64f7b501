# SCons build script of the tflm_virtual dev-platform (run by PlatformIO's `pio run`).
#
# board tflm_qemu_mps2_an386: Debian's arm-none-eabi-gcc from PATH, the linker script in
#   ../ldscripts, and `upload` = start qemu-system-arm with the UART on a TCP port.
# board tflm_host: the host's gcc, and `upload` = start the native program (its serial
#   port is a pseudo-terminal).
# Either way `upload` leaves the board running in the background and writes
# $BUILD_DIR/tflm_py_board.json (url, pid); see vboard.py next to this file.
import os
import sys

from SCons.Script import (AlwaysBuild, Default,
                          DefaultEnvironment)

env = DefaultEnvironment()
platform = env.PioPlatform()
board = env.BoardConfig()
target = board.get("build.tflm_target", "qemu")
BUILDER_DIR = os.path.join(platform.get_dir(), "builder")
STATE = os.path.join("$BUILD_DIR", "tflm_py_board.json")

if target == "qemu":
    cpu_flags = board.get("build.cflags", ["-mcpu=%s" % board.get("build.cpu"), "-mthumb"])
    env.Replace(
        AR="arm-none-eabi-gcc-ar",
        AS="arm-none-eabi-as",
        CC="arm-none-eabi-gcc",
        CXX="arm-none-eabi-g++",
        GDB="arm-none-eabi-gdb",
        OBJCOPY="arm-none-eabi-objcopy",
        RANLIB="arm-none-eabi-gcc-ranlib",
        SIZETOOL="arm-none-eabi-size",
        SIZEPROGREGEXP=r"^(?:\.isr_vector|\.text|\.data|\.ARM\.exidx)\s+(\d+).*",
        SIZEDATAREGEXP=r"^(?:\.data|\.bss)\s+(\d+).*",
        SIZECHECKCMD="$SIZETOOL -A -d $SOURCES",
        SIZEPRINTCMD="$SIZETOOL -B -d $SOURCES",
        PROGSUFFIX=".elf",
        LDSCRIPT_PATH=os.path.join(platform.get_dir(), "ldscripts",
                                   board.get("build.ldscript", "mps2_an386.ld")),
    )
    env.Append(
        ASFLAGS=list(cpu_flags),
        CCFLAGS=list(cpu_flags) + ["-Os", "-ffunction-sections", "-fdata-sections", "-Wall"],
        CFLAGS=["-std=c99"],
        LINKFLAGS=list(cpu_flags) + ["-nostartfiles", "--specs=nano.specs",
                                     "--specs=nosys.specs", "-Wl,--gc-sections"],
        LIBS=["c", "m", "gcc", "nosys"],
    )
    UPLOAD_ARGS = "--kind qemu --machine %s" % board.get("build.qemu_machine", "mps2-an386")
else:
    env.Replace(CC=os.environ.get("CC", "gcc"), CXX=os.environ.get("CXX", "g++"),
                AR="ar", RANLIB="ranlib", PROGSUFFIX="")
    env.Append(CCFLAGS=["-O2", "-Wall"], CFLAGS=["-std=c99"], LIBS=["m"])
    UPLOAD_ARGS = "--kind host"

target_prog = env.BuildProgram()

upload_cmd = '"%s" "%s" start %s --program "$SOURCE" --state "%s"' % (
    sys.executable, os.path.join(BUILDER_DIR, "vboard.py"), UPLOAD_ARGS, STATE)
upload = env.Alias("upload", target_prog,
                   env.VerboseAction(upload_cmd, "Starting the virtual board"))
AlwaysBuild(upload)

stop = env.Alias("stop", None, env.VerboseAction(
    '"%s" "%s" stop --state "%s"' % (sys.executable, os.path.join(BUILDER_DIR, "vboard.py"),
                                     STATE), "Stopping the virtual board"))
AlwaysBuild(stop)

Default([target_prog])
