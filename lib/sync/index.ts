/** The wire protocol and sync logic shared by the browser client and the relay. */
export * from './errors';
export * from './protocol';
export * from './codec';
export * from './session';
export * from './room';
export * from './relay';
export * from './chunks';
