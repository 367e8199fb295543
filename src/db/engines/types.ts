export type EngineName = 'mongod' | 'java' | 'ferretdb';

export interface EmbeddedDatabase {
  kind: EngineName;
  uri: string;
  /** The server's process, for a bench's CPU figures; undefined when another library runs it. */
  pid?: number;
  stop(): Promise<void>;
}
