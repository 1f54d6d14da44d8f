// The logging surface the gateway needs; the server hands in its pino logger.
export interface GatewayLogger {
  info(context: object, message: string): void;
  warn(context: object, message: string): void;
  error(context: object, message: string): void;
  debug(context: object, message: string): void;
  trace(context: object, message: string): void;
  isLevelEnabled(level: string): boolean;
}
