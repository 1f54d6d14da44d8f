// The logging surface media/ needs. The server hands in its pino logger, which
// satisfies it; media/ never imports the server.
export interface MediaLogger {
  info(context: object, message: string): void;
  warn(context: object, message: string): void;
  error(context: object, message: string): void;
}
