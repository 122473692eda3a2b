#!/usr/bin/python3
"""A small in-memory BMC for Ingot's IPMI tests, built on Debian's python3-pyghmi.

It answers the IPMI 2.0 (RMCP+) commands the ipmitool interfaces use: chassis status, chassis
control (on / off / cycle / reset / diag (NMI) / soft), and the boot flags parameter (5) of the
system boot options, keeping the persistent and EFI bits, and Serial-over-LAN (pyghmi's BMC-side
console) relayed to a serial backend: here the fake machine's (EchoSerial: a banner on activation,
then every byte typed is echoed); lib/testing/rig/vbmc.py puts a QEMU VM's serial port there. It
listens on 127.0.0.1:<port> (port 0 = a free one is picked) and prints one JSON line per event on
stdout, the first being {"event": "ready", "port": N}.

Usage: fakebmc.py --port N [--user admin] [--password secret] [--power on|off] [--kg KEY] [--no-sol | --sol-silent]
"""
import argparse
import json
import struct
import signal
import socket
import sys
import threading

import pyghmi.ipmi.bmc as bmc
import pyghmi.ipmi.console as console
import pyghmi.ipmi.private.session as ipmisession

# boot device selector (bits 5..2 of boot flags data byte 2) <-> short names
SELECTORS = {0x0: "none", 0x1: "pxe", 0x2: "disk", 0x3: "safe", 0x5: "cdrom", 0x6: "bios", 0xF: "floppy"}


EMIT_LOCK = threading.Lock()  # vbmc.py emits from a thread per QEMU process too


def emit(**event):
    with EMIT_LOCK:
        sys.stdout.write(json.dumps(event) + "\n")
        sys.stdout.flush()


class SerialBackend:
    """The far end of the machine's serial port, which a Serial-over-LAN session relays.

    The BMC calls it only from its event loop (pyghmi's SOL code is not thread-safe): open() when a
    session starts, with the function that sends bytes to the SOL client; typed() with the bytes
    the client typed; poll() every POLL_SECONDS while the session lasts; close() when it ends."""

    POLL_SECONDS = 0.05

    def __init__(self):
        self.to_console = None

    def open(self, to_console):
        self.to_console = to_console

    def typed(self, data):
        pass

    def poll(self):
        pass

    def close(self):
        self.to_console = None


class EchoSerial(SerialBackend):
    """The fake machine: a banner when a session starts (unless silent: a machine idle at a
    prompt, or off, prints nothing), then every byte typed is echoed."""

    def __init__(self, silent=False):
        super().__init__()
        self.silent = silent

    def open(self, to_console):
        super().open(to_console)
        if not self.silent:
            to_console(b"Ingot fake BMC serial console\r\nlogin: ")

    def typed(self, data):
        self.to_console(data)


class IngotFakeBmc(bmc.Bmc):
    """serial: the SerialBackend that SOL sessions relay; None = SOL disabled (activation answers 0x81)."""

    def __init__(self, authdata, port, power, serial=None):
        super().__init__(authdata, port=port, address="127.0.0.1")
        self.powerstate = power
        # boot flags: data byte 1 (valid / persistent / efi bits) and the device selector
        self.boot_flags = 0x00
        self.boot_selector = 0x0
        self.nmi_count = 0
        # SOL: pyghmi calls iohandler with the bytes the client typed
        self.iohandler = self.sol_input
        self.sol_early = []
        self.serial = serial

    # -- Serial-over-LAN --
    def sol_input(self, data):
        emit(event="sol_input", data=data.decode("latin-1"))
        if self.sol is None:  # typed while the console object is still being built
            self.sol_early.append(data)
        else:
            self.serial.typed(data)

    def activate_payload(self, request, session):
        # pyghmi's own version refuses SOL while powered off (real BMCs do not) and loses input
        # that arrives while ServerConsole is constructed (it processes packets in __init__).
        if self.serial is None:
            emit(event="sol_refused", reason="disabled")
            return session.send_ipmi_response(code=0x81)  # SOL payload disabled
        if self.activated:
            emit(event="sol_refused", reason="already active")
            return session.send_ipmi_response(code=0x80)
        self.activated = True
        solport = list(struct.unpack("BB", struct.pack("!H", self.port)))
        session.send_ipmi_response(data=[0, 0, 0, 0, 1, 0, 1, 0] + solport + [0xFF, 0xFF])
        self.sol = console.ServerConsole(session, self.iohandler)
        emit(event="sol_activate")
        self.serial.open(self.sol.send_data)
        for data in self.sol_early:
            self.serial.typed(data)
        self.sol_early = []

    def deactivate_payload(self, request, session):
        if self.serial is None:
            return session.send_ipmi_response(code=0x81)
        if not self.activated or self.sol is None:
            self.activated = False
            return session.send_ipmi_response(code=0x80)
        session.send_ipmi_response()
        sol, self.sol = self.sol, None
        self.activated = False
        self.serial.close()
        sol.close()
        emit(event="sol_deactivate")

    def listen(self, timeout=30):
        """pyghmi's event loop, waking every POLL_SECONDS while a SOL session lasts so the serial
        backend's output reaches it from this thread."""
        while True:
            ipmisession.Session.wait_for_rsp(SerialBackend.POLL_SECONDS if self.sol is not None else timeout)
            if self.sol is not None:
                try:
                    self.serial.poll()
                except Exception as e:  # a console fault must not take power control down with it
                    emit(event="sol_error", error=repr(e))

    # -- chassis --
    def get_power_state(self):
        return self.powerstate

    def is_active(self):
        return self.powerstate == "on"

    def _set_power(self, state, how):
        self.powerstate = state
        emit(event="power", action=how, state=state)

    def power_on(self):
        self._set_power("on", "on")

    def power_off(self):
        self._set_power("off", "off")

    def power_shutdown(self):
        # a well-behaved OS: the soft (ACPI) request shuts the machine down at once
        self._set_power("off", "soft")

    def power_cycle(self):
        self._set_power("on", "cycle")

    def power_reset(self):
        self._set_power("on", "reset")

    def pulse_diag(self):
        self.nmi_count += 1
        emit(event="nmi", count=self.nmi_count)

    def cold_reset(self):
        emit(event="mc_reset")
        return 0

    # -- boot options (parameter 5 = boot flags), keeping the flag bits pyghmi drops --
    def get_system_boot_options(self, request, session):
        param = request["data"][0] & 0x7F
        if param == 5:
            data = [1, 5, self.boot_flags, (self.boot_selector << 2) & 0x3C, 0, 0, 0]
            return session.send_ipmi_response(data=data)
        if param == 3:
            return session.send_ipmi_response(data=[1, 3, 0])
        return session.send_ipmi_response(code=0x80)  # parameter not supported

    def set_system_boot_options(self, request, session):
        data = request["data"]
        param = data[0] & 0x7F
        if param == 5 and len(data) >= 3:
            selector = (data[2] >> 2) & 0x0F
            if selector not in SELECTORS:
                return session.send_ipmi_response(code=0xCC)
            self.boot_flags = data[1] & 0xE0
            self.boot_selector = selector
            emit(event="bootdev", device=SELECTORS[selector], persistent=bool(data[1] & 0x40),
                 efi=bool(data[1] & 0x20), valid=bool(data[1] & 0x80))
            return session.send_ipmi_response()
        if param in (0, 3, 4):
            if param == 3:
                emit(event="boot_timeout_disabled")
            return session.send_ipmi_response()
        return session.send_ipmi_response(code=0x80)


def bmc_arguments(prog):
    """The arguments every BMC of the tests takes: its UDP port on 127.0.0.1 and its one user."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--port", type=int, default=0, help="0: a free one")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="password")
    return parser


def bmc_port(requested):
    """The port to serve on: `requested`, or a free one for 0 (pyghmi needs the real number up
    front: binding to port 0 breaks its sessions)."""
    if requested:
        return requested
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    parser = bmc_arguments("fakebmc")
    parser.add_argument("--power", choices=["on", "off"], default="off")
    parser.add_argument("--kg", default=None, help="Kg key (text) required for sessions")
    parser.add_argument("--no-sol", action="store_true", help="Serial-over-LAN disabled (activation answers 0x81)")
    parser.add_argument("--sol-silent", action="store_true", help="no banner: the machine prints nothing until typed at")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = IngotFakeBmc({args.user: args.password}, bmc_port(args.port), args.power,
                          serial=None if args.no_sol else EchoSerial(silent=args.sol_silent))
    if args.kg:
        server.set_kg(args.kg)
    emit(event="ready", port=server.serversocket.getsockname()[1])
    server.listen()


if __name__ == "__main__":
    sys.exit(main())
