// The native backends are optionalDependencies: absent here (their install cannot download libtensorflow),
// present on users' machines. backend.ts imports them only for their side effect (registering the 'tensorflow'
// backend), so a shorthand declaration is all the type checker needs.
declare module '@tensorflow/tfjs-node'
declare module '@tensorflow/tfjs-node-gpu'
