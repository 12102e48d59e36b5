/**
 * Node's global WebAssembly and Atomics.waitAsync, which the project's lib (ES2023, no DOM)
 * and @types/node do not declare: the part the proxy-wasm host uses.
 */
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- declaring the existing global namespace, not a new one
  namespace WebAssembly {
    class Module {
      constructor(bytes: ArrayBufferView | ArrayBuffer);
      static exports(module: Module): { name: string; kind: "function" | "table" | "memory" | "global" }[];
      static imports(module: Module): { module: string; name: string; kind: "function" | "table" | "memory" | "global" }[];
    }
    class Instance {
      constructor(module: Module, imports?: Imports);
      readonly exports: Record<string, ExportValue>;
    }
    class Memory {
      constructor(descriptor: { initial: number; maximum?: number });
      readonly buffer: ArrayBuffer;
    }
    class CompileError extends Error {}
    class RuntimeError extends Error {}
    type ExportValue = ((...args: never[]) => unknown) | Memory | object;
    type ImportValue = ((...args: never[]) => unknown) | Memory | object;
    type Imports = Record<string, Record<string, ImportValue>>;
    function compile(bytes: ArrayBufferView | ArrayBuffer): Promise<Module>;
    function validate(bytes: ArrayBufferView | ArrayBuffer): boolean;
  }
  interface Atomics {
    waitAsync(typedArray: Int32Array, index: number, value: number, timeout?: number): { async: false; value: "not-equal" | "timed-out" } | { async: true; value: Promise<"ok" | "timed-out"> };
  }
}

export {};
