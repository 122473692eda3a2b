#!/usr/bin/python3
"""A virtual BMC for one QEMU virtual machine of Ingot's test rig (IPMI 2.0 through pyghmi).

Power on starts QEMU (TCG: KVM does not boot Linux guests on the rig's machines), power off ends
it, and the power state is whether QEMU runs, so a guest that powers itself off reads as off.
The boot device set through IPMI (chassis bootdev pxe|disk, persistent or not, the EFI bit
recorded) decides the order of the VM's NIC and disk at the next power on; a one-time choice is
used up by that power on, as on a real BMC. The IPMI side (chassis status/control, boot flags,
Serial-over-LAN) is lib/testing/fakebmc.py's; this class only puts a QEMU process behind it.

Serial-over-LAN relays the VM's first serial port: while a session is active the BMC is a client
of QEMU's serial socket (connected again after every power on: each is a new QEMU process); the
VM's output goes to the session, the bytes typed to the VM. QEMU keeps appending everything the
VM prints to serial.log either way. One session at a time, as on a real BMC; QEMU's socket also
takes one client at a time, so another client of serial.sock (vm.ts's serialTcpPort() relay) only
gets through while no SOL session is active.

The VM: a virtio-net NIC on a tap device with a given MAC (QEMU runs inside the network
namespace that holds the tap, through `ip netns exec`), a virtio disk (qcow2 or raw), SeaBIOS or
OVMF (UEFI), its first serial port on a unix socket with everything it prints appended to a log
file, and QMP on a unix socket (for the ACPI power button of a soft power off).

Prints one JSON line per event on stdout, the first {"event": "ready", "port": N}; others:
power (action, state), qemu_start (pid, argv), qemu_exit (code), bootdev, sol_activate,
sol_deactivate, sol_input (data), serial_connected, serial_disconnected.

Usage: vbmc.py --port N --netns NS --tap tap0 --mac 52:54:00:.. --disk PATH --workdir DIR
               [--disk-format qcow2] [--memory 2048] [--firmware bios|uefi] [--user U --password P]
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import fakebmc  # noqa: E402  (lib/testing/fakebmc.py: the IPMI side)

OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
emit = fakebmc.emit


class QemuSerial(fakebmc.SerialBackend):
    """The VM's serial port as SOL's backend: a client of QEMU's unix socket while a session lasts,
    retrying every RETRY_SECONDS while QEMU is not running (or is between two processes)."""

    RETRY_SECONDS = 0.5

    def __init__(self, path):
        super().__init__()
        self.path = path
        self.sock = None
        self.next_try = 0.0

    def open(self, to_console):
        super().open(to_console)
        self.next_try = 0.0
        self.poll()

    def close(self):
        self.disconnect(reason="sol ended")
        super().close()

    def connect(self):
        self.next_try = time.monotonic() + self.RETRY_SECONDS
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(1)
            sock.connect(self.path)
        except OSError:  # no QEMU (yet): powered off, or starting
            sock.close()
            return
        sock.setblocking(False)
        self.sock = sock
        emit(event="serial_connected")

    def disconnect(self, reason):
        if self.sock is None:
            return
        self.sock.close()
        self.sock = None
        emit(event="serial_disconnected", reason=reason)

    def poll(self):
        if self.sock is None:
            if time.monotonic() >= self.next_try:
                self.connect()
            if self.sock is None:
                return
        # Read all there is: QEMU stalls the VM's serial port (and its log) when nobody reads.
        while True:
            try:
                data = self.sock.recv(65536)
            except BlockingIOError:
                return
            except OSError as e:
                return self.disconnect(reason=str(e))
            if not data:  # QEMU ended (power off, reset, cycle)
                return self.disconnect(reason="qemu closed the serial port")
            self.to_console(data)

    def typed(self, data):
        # A serial line with nothing at the other end drops what is typed.
        if self.sock is None:
            return
        try:
            self.sock.sendall(data)
        except OSError as e:
            self.disconnect(reason=str(e))


class QemuBmc(fakebmc.IngotFakeBmc):
    def __init__(self, authdata, port, vm):
        super().__init__(authdata, port, "off", serial=QemuSerial(vm.serial_socket))
        self.vm = vm
        self.qemu = None
        self.qemu_lock = threading.Lock()

    # -- power: whether QEMU runs --
    def get_power_state(self):
        return "on" if self.qemu_running() else "off"

    def is_active(self):
        return self.qemu_running()

    def qemu_running(self):
        return self.qemu is not None and self.qemu.poll() is None

    def boot_device(self):
        """The device this power on boots from, using up a one-time choice."""
        valid = bool(self.boot_flags & 0x80)
        device = fakebmc.SELECTORS.get(self.boot_selector, "none") if valid else "none"
        if valid and not self.boot_flags & 0x40:  # one-time: cleared by the boot that uses it
            self.boot_flags = 0
            self.boot_selector = 0
        return device

    def qemu_argv(self, device):
        vm = self.vm
        # bootindex: the chosen device first; without a choice, disk then network (a server's usual order)
        net_first = device == "pxe"
        argv = [
            "qemu-system-x86_64", "-name", vm.name, "-accel", "tcg",
            "-machine", "q35" if vm.firmware == "uefi" else "pc",
            "-smp", "1", "-m", str(vm.memory),
            "-nodefaults", "-no-user-config", "-display", "none", "-vga", "none", "-rtc", "base=utc",
            "-netdev", f"tap,id=nic0,ifname={vm.tap},script=no,downscript=no",
            "-device", f"virtio-net-pci,netdev=nic0,mac={vm.mac},bootindex={1 if net_first else 2}",
            "-drive", f"file={vm.disk},format={vm.disk_format},if=none,id=disk0,cache=unsafe",
            "-device", f"virtio-blk-pci,drive=disk0,bootindex={2 if net_first else 1}",
            "-chardev", f"socket,id=serial0,path={vm.serial_socket},server=on,wait=off,logfile={vm.serial_log},logappend=on",
            "-serial", "chardev:serial0",
            "-qmp", f"unix:{vm.qmp_socket},server=on,wait=off",
        ]
        if vm.firmware == "uefi":
            vars_copy = os.path.join(vm.workdir, "OVMF_VARS.fd")
            if not os.path.exists(vars_copy):
                shutil.copyfile(OVMF_VARS, vars_copy)
            argv += ["-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
                     "-drive", f"if=pflash,format=raw,file={vars_copy}"]
        return ["ip", "netns", "exec", vm.netns] + argv if vm.netns else argv

    def start_qemu(self):
        with self.qemu_lock:
            if self.qemu_running():
                return
            device = self.boot_device()
            argv = self.qemu_argv(device)
            stderr = open(os.path.join(self.vm.workdir, "qemu.stderr"), "ab")
            self.qemu = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr)
            stderr.close()
            emit(event="qemu_start", pid=self.qemu.pid, boot=device, argv=argv)
            threading.Thread(target=self.watch, args=(self.qemu,), daemon=True).start()

    def watch(self, proc):
        code = proc.wait()
        emit(event="qemu_exit", pid=proc.pid, code=code)

    def stop_qemu(self, grace=5.0):
        with self.qemu_lock:
            proc = self.qemu
            if proc is None or proc.poll() is not None:
                return
            proc.terminate()
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def qmp(self, command):
        """One QMP command (after the capabilities handshake); errors are reported, not raised."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(5)
                s.connect(self.vm.qmp_socket)
                f = s.makefile("rw")
                f.readline()  # greeting
                for cmd in ("qmp_capabilities", command):
                    f.write(json.dumps({"execute": cmd}) + "\n")
                    f.flush()
                    while "return" not in (reply := json.loads(f.readline())) and "error" not in reply:
                        pass  # asynchronous events
        except (OSError, ValueError) as e:
            emit(event="qmp_error", command=command, error=str(e))

    def power_on(self):
        self.start_qemu()
        emit(event="power", action="on", state=self.get_power_state())

    def power_off(self):
        self.stop_qemu()
        emit(event="power", action="off", state=self.get_power_state())

    def power_shutdown(self):
        # ACPI power button: the guest decides (the rig's guests have no ACPI daemon and ignore it)
        if self.qemu_running():
            self.qmp("system_powerdown")
        emit(event="power", action="soft", state=self.get_power_state())

    def power_cycle(self):
        self.stop_qemu()
        self.start_qemu()
        emit(event="power", action="cycle", state=self.get_power_state())

    def power_reset(self):
        # a fresh QEMU process, so the boot device set since the last power on applies
        if self.qemu_running():
            self.stop_qemu()
            self.start_qemu()
        emit(event="power", action="reset", state=self.get_power_state())


class VmSpec:
    def __init__(self, args):
        self.name = args.name
        self.netns = args.netns
        self.tap = args.tap
        self.mac = args.mac
        self.disk = args.disk
        self.disk_format = args.disk_format
        self.memory = args.memory
        self.firmware = args.firmware
        self.workdir = args.workdir
        self.serial_socket = os.path.join(args.workdir, "serial.sock")
        self.serial_log = os.path.join(args.workdir, "serial.log")
        self.qmp_socket = os.path.join(args.workdir, "qmp.sock")


def main():
    parser = fakebmc.bmc_arguments("vbmc")
    parser.add_argument("--name", default="ingot-rig-vm")
    parser.add_argument("--netns", default="", help="network namespace holding the tap (empty: this one)")
    parser.add_argument("--tap", required=True)
    parser.add_argument("--mac", required=True)
    parser.add_argument("--disk", required=True)
    parser.add_argument("--disk-format", default="qcow2", choices=["qcow2", "raw"])
    parser.add_argument("--memory", type=int, default=2048, help="MiB")
    parser.add_argument("--firmware", default="bios", choices=["bios", "uefi"])
    parser.add_argument("--workdir", required=True, help="serial/QMP sockets, serial.log, qemu.stderr")
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    server = QemuBmc({args.user: args.password}, fakebmc.bmc_port(args.port), VmSpec(args))

    def terminate(*_):
        server.stop_qemu(grace=2.0)  # the VM goes with its BMC
        sys.exit(0)

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, terminate)
    emit(event="ready", port=server.serversocket.getsockname()[1])
    try:
        server.listen()
    finally:
        server.stop_qemu(grace=2.0)


if __name__ == "__main__":
    sys.exit(main())
