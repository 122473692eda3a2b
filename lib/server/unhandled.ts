// What the server process does with a rejected promise nobody handled.

/**
 * Logs it with its stack and keeps serving: it is a bug, but Node's default (stop the process)
 * would end every deploy, console and request this process runs because of one of them.
 * Returns the function that removes the handler.
 */
export function logUnhandledRejections(): () => void {
  const onRejection = (reason: unknown) => {
    console.error("[ingot] unhandled promise rejection (a bug, please report it; the server keeps running):", reason);
  };
  process.on("unhandledRejection", onRejection);
  return () => void process.off("unhandledRejection", onRejection);
}
