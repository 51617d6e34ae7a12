// Jest global teardown: stops the MongoDB-wire stand-in that global setup started.
export default async () => {
  await globalThis.distroWireServer?.stop();
};
