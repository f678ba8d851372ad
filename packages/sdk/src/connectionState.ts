/**
 * The connection states a client (and, in v4, a published LocalStream) reports. A leaf
 * module: the client, the engine and the streams all name these types.
 */
export type ConnectionState = 'DISCONNECTED' | 'CONNECTING' | 'RECONNECTING' | 'CONNECTED';

export interface ConnectionStateChangedEvent {
  prevState: ConnectionState;
  state: ConnectionState;
}
