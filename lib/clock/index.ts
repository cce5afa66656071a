export * from './replica';
export * from './version-vector';
export * from './lamport';
export * from './hlc';
