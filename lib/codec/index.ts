export * from './errors';
export * from './encoder';
export * from './decoder';
export * from './json';
