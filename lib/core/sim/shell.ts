// The login prompt and the small shell of a simulated machine's console (serial port and text
// screen share it): echo, line editing (backspace, ^U, ^C), escape sequences swallowed, CRLF out.

export interface ShellAccount {
  user: string;
  password: string;
  home: string;
}

/** What the console needs from its machine. */
export interface ShellHost {
  hostname(): string;
  /** Banner line above the login prompt, e.g. "Ubuntu 24.04.1 LTS host ttyS0". */
  issue(): string;
  accounts(): ShellAccount[];
  output(text: string): void;
  /** Files under /etc (os-release, hostname, ...) and the listing of a few directories. */
  file(path: string): string | null;
  listing(path: string): string[] | null;
  uname(all: boolean): string;
  ipAddr(): string;
  uptime(): string;
  lsblk(): string;
  reboot(): void;
  poweroff(): void;
}

type Mode = "user" | "password" | "shell" | "wait";

const HELP = [
  "Available commands:",
  "  ls [dir]           list a directory",
  "  cat <file>         print a file (/etc/os-release, /etc/hostname, ...)",
  "  echo [text]        print text",
  "  hostname           print the host name",
  "  uname [-a]         print system information",
  "  ip addr            show network interfaces and addresses",
  "  lsblk              list block devices",
  "  uptime             time since boot and load",
  "  whoami, id, date, pwd, clear",
  "  reboot, poweroff   restart or switch off the machine",
  "  exit, logout       end the session",
];

export class ShellConsole {
  private mode: Mode = "user";
  private line = "";
  private user = "";
  private account: ShellAccount | null = null;
  private esc: "none" | "esc" | "csi" = "none";
  private lastWasCr = false;
  private cwd = "/root";

  constructor(private readonly host: ShellHost) {}

  /** Prints the issue banner and the login prompt. */
  start(): void {
    this.host.output(`\n${this.host.issue()}\n\n`);
    this.loginPrompt();
  }

  get loggedInUser(): string | null {
    return this.mode === "shell" && this.account ? this.account.user : null;
  }

  private loginPrompt(): void {
    this.mode = "user";
    this.line = "";
    this.host.output(`${this.host.hostname()} login: `);
  }

  private prompt(): void {
    const a = this.account!;
    const dir = this.cwd === a.home ? "~" : this.cwd;
    this.host.output(`${a.user}@${this.host.hostname()}:${dir}${a.user === "root" ? "#" : "$"} `);
  }

  input(data: Buffer): void {
    for (const byte of data) this.key(byte);
  }

  private key(c: number): void {
    if (this.mode === "wait") return;
    // Escape sequences (arrow keys, function keys) are swallowed.
    if (this.esc === "esc") {
      this.esc = c === 0x5b || c === 0x4f ? "csi" : "none";
      return;
    }
    if (this.esc === "csi") {
      if (c >= 0x40 && c <= 0x7e) this.esc = "none";
      return;
    }
    if (c === 0x1b) {
      this.esc = "esc";
      return;
    }
    const cr = this.lastWasCr;
    this.lastWasCr = c === 0x0d;
    if (c === 0x0a && cr) return; // CRLF from a terminal is one Enter
    const echo = this.mode !== "password";
    if (c === 0x0d || c === 0x0a) {
      this.host.output("\n");
      const line = this.line;
      this.line = "";
      this.enter(line);
    } else if (c === 0x7f || c === 0x08) {
      if (this.line.length) {
        this.line = this.line.slice(0, -1);
        if (echo) this.host.output("\b \b");
      }
    } else if (c === 0x03) {
      this.host.output("^C\n");
      this.line = "";
      if (this.mode === "shell") this.prompt();
      else this.loginPrompt();
    } else if (c === 0x15) {
      if (echo) this.host.output("\b \b".repeat(this.line.length));
      this.line = "";
    } else if (c === 0x04) {
      if (this.mode === "shell" && this.line === "") {
        this.host.output("logout\n");
        this.logout();
      }
    } else if (c >= 0x20 && c < 0x7f) {
      if (this.line.length >= 1024) return;
      this.line += String.fromCharCode(c);
      if (echo) this.host.output(String.fromCharCode(c));
    }
  }

  private enter(line: string): void {
    if (this.mode === "user") {
      if (!line.trim()) return this.loginPrompt();
      this.user = line.trim();
      this.mode = "password";
      this.host.output("Password: ");
      return;
    }
    if (this.mode === "password") {
      const account = this.host.accounts().find((a) => a.user === this.user && a.password === line);
      if (!account) {
        this.host.output("\nLogin incorrect\n");
        return this.loginPrompt();
      }
      this.account = account;
      this.cwd = account.home;
      this.mode = "shell";
      this.host.output(`Last login: ${new Date().toUTCString()} on ttyS0\n`);
      return this.prompt();
    }
    this.run(line.trim());
    if (this.mode === "shell") this.prompt();
  }

  private logout(): void {
    this.account = null;
    this.host.output("\n");
    this.start();
  }

  private run(line: string): void {
    if (!line) return;
    const [cmd, ...args] = line.split(/\s+/);
    const out = (text: string) => this.host.output(text.endsWith("\n") ? text : `${text}\n`);
    switch (cmd) {
      case "help":
        return out(HELP.join("\n"));
      case "echo":
        return out(line.slice(4).trim().replace(/^(["'])(.*)\1$/, "$2"));
      case "hostname":
        return out(this.host.hostname());
      case "whoami":
        return out(this.account!.user);
      case "id": {
        const u = this.account!.user;
        const id = u === "root" ? 0 : 1000;
        return out(`uid=${id}(${u}) gid=${id}(${u}) groups=${id}(${u})`);
      }
      case "pwd":
        return out(this.cwd);
      case "date":
        return out(new Date().toUTCString().replace("GMT", "UTC"));
      case "uname":
        return out(this.host.uname(args.includes("-a")));
      case "uptime":
        return out(this.host.uptime());
      case "lsblk":
        return out(this.host.lsblk());
      case "clear":
        return this.host.output("\x1b[H\x1b[2J");
      case "ip":
        if (["a", "addr", "address"].includes(args[0] ?? "") || (args[0] === "-4" && args[1]?.startsWith("a"))) return out(this.host.ipAddr());
        return out(`Usage: ip addr`);
      case "ls": {
        const path = args.find((a) => !a.startsWith("-")) ?? this.cwd;
        const entries = this.host.listing(path);
        if (entries === null) return out(`ls: cannot access '${path}': No such file or directory`);
        return entries.length ? out(entries.join("  ")) : undefined;
      }
      case "cd": {
        const path = args[0] ?? this.account!.home;
        const abs = path.startsWith("/") ? path : `${this.cwd.replace(/\/$/, "")}/${path}`;
        if (this.host.listing(abs) === null) return out(`-bash: cd: ${path}: No such file or directory`);
        this.cwd = abs === "/" ? "/" : abs.replace(/\/$/, "");
        return;
      }
      case "cat": {
        if (!args.length) return;
        for (const path of args) {
          const abs = path.startsWith("/") ? path : `${this.cwd}/${path}`;
          const content = this.host.file(abs);
          if (content === null) out(`cat: ${path}: No such file or directory`);
          else this.host.output(content);
        }
        return;
      }
      case "reboot":
        this.mode = "wait";
        return this.host.reboot();
      case "poweroff":
      case "halt":
      case "shutdown":
        this.mode = "wait";
        return this.host.poweroff();
      case "exit":
      case "logout":
        return this.logout();
      default:
        return out(`-bash: ${cmd}: command not found`);
    }
  }
}
