// The load balancer in front of the nodes of a deployment, reduced to what a
// node failure needs: each new TCP connection goes to the first node that
// accepts it. While node A is up every connection reaches A (so long-polling
// stays on one node, as sticky sessions keep it); once A is dead its
// connections close and new ones reach the next node.
import net from 'node:net';

export interface FailoverProxy {
  url: string;
  close: () => Promise<void>;
}

export async function startFailoverProxy(ports: number[]): Promise<FailoverProxy> {
  const open = new Set<net.Socket>();
  const track = (socket: net.Socket): void => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
  };

  const server = net.createServer((client) => {
    track(client);
    client.pause();
    client.on('error', () => client.destroy());
    const tryPort = (index: number): void => {
      const port = ports[index];
      if (port === undefined || client.destroyed) return void client.destroy();
      const upstream = net.connect(port, '127.0.0.1');
      // Refused (the node is dead): the next node.
      upstream.once('error', () => tryPort(index + 1));
      upstream.once('connect', () => {
        track(upstream);
        upstream.removeAllListeners('error');
        upstream.on('error', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        client.on('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    tryPort(0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
