/**
 * Every RTCPeerConnection and WebSocket a page creates, so tests can read getStats() as a
 * person's browser would, and cut a socket to simulate a network blip.
 */
export const RECORD_PEER_CONNECTIONS = `
  (() => {
    const Native = window.RTCPeerConnection;
    window.__pcs = [];
    window.RTCPeerConnection = function (...args) {
      const pc = new Native(...args);
      window.__pcs.push(pc);
      return pc;
    };
    window.RTCPeerConnection.prototype = Native.prototype;
    Object.setPrototypeOf(window.RTCPeerConnection, Native);
    const NativeWS = window.WebSocket;
    window.__sockets = [];
    window.WebSocket = function (...args) {
      const ws = new NativeWS(...args);
      window.__sockets.push(ws);
      return ws;
    };
    window.WebSocket.prototype = NativeWS.prototype;
    Object.setPrototypeOf(window.WebSocket, NativeWS);
  })();
`;
