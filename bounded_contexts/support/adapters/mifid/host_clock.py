"""The host clock's synchronisation state, as far as the machine will tell (RTS 25).

In order: the kernel's NTP state through ``ntp_adjtime`` with no change requested (readable
without privileges on Linux: the ``STA_UNSYNC`` flag, maximum and estimated error in µs),
``chronyc tracking`` and ``timedatectl show`` when installed, and the clock source from
``/sys``. Whatever cannot be read stays ``None``: reported as unknown, never guessed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import shutil
import subprocess
from pathlib import Path

from bounded_contexts.support.domain.mifid.clock import ClockSync

CLOCKSOURCE = Path("/sys/devices/system/clocksource/clocksource0/current_clocksource")
STA_UNSYNC = 0x0040
TIME_ERROR = 5
COMMAND_TIMEOUT_S = 2.0


class _Timex(ctypes.Structure):
    """``struct timex`` of <sys/timex.h> (Linux, 64-bit): the fields read here come first."""

    _fields_ = [
        ("modes", ctypes.c_uint),
        ("offset", ctypes.c_long),
        ("freq", ctypes.c_long),
        ("maxerror", ctypes.c_long),
        ("esterror", ctypes.c_long),
        ("status", ctypes.c_int),
        ("constant", ctypes.c_long),
        ("precision", ctypes.c_long),
        ("tolerance", ctypes.c_long),
        ("time_sec", ctypes.c_long),
        ("time_usec", ctypes.c_long),
        ("tick", ctypes.c_long),
        ("ppsfreq", ctypes.c_long),
        ("jitter", ctypes.c_long),
        ("shift", ctypes.c_int),
        ("stabil", ctypes.c_long),
        ("jitcnt", ctypes.c_long),
        ("calcnt", ctypes.c_long),
        ("errcnt", ctypes.c_long),
        ("stbcnt", ctypes.c_long),
        ("tai", ctypes.c_int),
        ("padding", ctypes.c_int * 11),
    ]


def read_host_clock() -> ClockSync:
    details: list[str] = []
    source = _read(CLOCKSOURCE)
    synchronised, max_error, est_error, method = None, None, None, "none available"
    kernel = _ntp_adjtime()
    if kernel is not None:
        state, status, max_error, est_error = kernel
        synchronised = not (status & STA_UNSYNC) and state != TIME_ERROR
        method = "ntp_adjtime (kernel NTP state)"
        details.append(
            f"ntp_adjtime: state {state}, status 0x{status:04x}, maxerror {max_error} µs, "
            f"esterror {est_error} µs"
        )
    for command in (["chronyc", "tracking"], ["timedatectl", "show"]):
        output = _run(command)
        if output:
            details.append(f"{' '.join(command)}:\n{output.strip()}")
    return ClockSync(
        clock_source=source,
        synchronised=synchronised,
        max_error_us=max_error if synchronised else None,
        estimated_error_us=est_error if synchronised else None,
        method=method,
        details=tuple(details),
    )


def _ntp_adjtime() -> tuple[int, int, int, int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        call = libc.ntp_adjtime
    except (OSError, AttributeError):
        return None
    timex = _Timex()  # modes = 0: read only
    state = call(ctypes.byref(timex))
    if state < 0:
        return None
    return state, timex.status, timex.maxerror, timex.esterror


def _run(command: list[str]) -> str | None:
    if shutil.which(command[0]) is None:
        return None
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except OSError:
        return None
