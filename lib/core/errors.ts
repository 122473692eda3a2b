// Errors the core raises, each carrying the HTTP status Ironic gives it (reference §4).
// The API turns them into Ironic's error body; the dashboard shows their message.

export class IronicError extends Error {
  readonly status: number;
  constructor(message: string, status = 400) {
    super(message);
    this.status = status;
    this.name = new.target.name;
  }
}

export class Invalid extends IronicError {
  constructor(message: string) {
    super(message, 400);
  }
}

export class NotFound extends IronicError {
  constructor(message: string) {
    super(message, 404);
  }
}

export class Conflict extends IronicError {
  constructor(message: string) {
    super(message, 409);
  }
}

export class Forbidden extends IronicError {
  constructor(message = "Access was denied to this resource.") {
    super(message, 403);
  }
}

export class NotAcceptable extends IronicError {
  constructor(message: string) {
    super(message, 406);
  }
}

export class NotAuthorized extends IronicError {
  constructor(message = "Authentication required") {
    super(message, 401);
  }
}

export class MethodNotAllowed extends IronicError {
  constructor(message = "The method is not allowed for the requested URL.") {
    super(message, 405);
  }
}

export class PreconditionFailed extends IronicError {
  constructor(message: string) {
    super(message, 412);
  }
}

export class PayloadTooLarge extends IronicError {
  constructor(message: string) {
    super(message, 413);
  }
}

export class TemporaryFailure extends IronicError {
  constructor(message = "Resource temporarily unavailable, please retry.") {
    super(message, 503);
  }
}

export class NodeNotFound extends NotFound {
  constructor(ident: string) {
    super(`Node ${ident} could not be found.`);
  }
}

export class NodeLocked extends Conflict {
  constructor(node: string, host: string) {
    super(`Node ${node} is locked by host ${host}, please retry after the current operation is completed.`);
  }
}

export class InvalidStateRequested extends Invalid {
  constructor(action: string, node: string, state: string) {
    super(`The requested action "${action}" can not be performed on node "${node}" while it is in state "${state}".`);
  }
}

export class NodeInMaintenance extends Invalid {
  constructor(action: string, node: string) {
    super(`The requested action "${action}" can not be performed on node "${node}" while it is in maintenance mode.`);
  }
}

export class NodeProtected extends IronicError {
  constructor(node: string) {
    super(`Node ${node} is protected and cannot be undeployed, rebuilt or deleted`, 403);
  }
}

export class NoFreeWorker extends TemporaryFailure {
  constructor() {
    super("Requested action cannot be performed due to lack of free conductor workers.");
  }
}

/** The node's console of that kind is not on (off, or its console interface is of the other kind). */
export class ConsoleNotEnabled extends Conflict {
  constructor(kind: "serial" | "graphical", node: string) {
    super(`the ${kind} console of node ${node} is not enabled`);
  }
}

/** A console session refused to a caller who may see the node; the message says why. */
export class ConsoleRefused extends Forbidden {}

/** The node's console cannot be reached now (its conductor is unknown or unreachable). */
export class ConsoleUnavailable extends TemporaryFailure {}

/** A failure inside a driver interface (power, deploy, ...): becomes last_error on the node. */
export class DriverError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DriverError";
  }
}
