export * from './device';
export * from './arena';
export * from './kernel';
export * from './step';
export * from './uniforms';
export type { KernelContext } from './context';
