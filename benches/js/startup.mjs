// V8 start-up cost of wasm modules, in Node: `node startup.mjs RUNS a.wasm b.wasm ...`.
// Each run compiles (WebAssembly.compile) and instantiates (with stub imports:
// nothing is called) every module in turn, so the modules are interleaved.
// Prints one JSON line per module: median compile and instantiate times in ms.
import { readFileSync } from "node:fs";

const [runsArg, ...files] = process.argv.slice(2);
const runs = Number(runsArg) || 10;
const bytes = files.map((f) => readFileSync(f));

function stubImports(module) {
  const imports = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    imports[imp.module] ??= {};
    let value;
    switch (imp.kind) {
      case "function":
        value = () => {
          throw new Error(`stub ${imp.module}.${imp.name} called`);
        };
        break;
      case "memory":
        value = new WebAssembly.Memory({ initial: 17 });
        break;
      case "table":
        value = new WebAssembly.Table({ initial: 0, element: "anyfunc" });
        break;
      case "global":
        value = new WebAssembly.Global({ value: "i32", mutable: false }, 0);
        break;
      case "tag":
        value =
          WebAssembly.JSTag ?? new WebAssembly.Tag({ parameters: ["externref"] });
        break;
    }
    imports[imp.module][imp.name] = value;
  }
  return imports;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : null;
};

const compile = files.map(() => []);
const instantiate = files.map(() => []);
const errors = files.map(() => null);
for (let run = 0; run < runs; run++) {
  for (let i = 0; i < files.length; i++) {
    const t0 = performance.now();
    let module;
    try {
      module = await WebAssembly.compile(bytes[i]);
    } catch (e) {
      errors[i] ??= `compile: ${e.message}`;
      continue;
    }
    const t1 = performance.now();
    compile[i].push(t1 - t0);
    try {
      new WebAssembly.Instance(module, stubImports(module));
      instantiate[i].push(performance.now() - t1);
    } catch (e) {
      errors[i] ??= `instantiate: ${e.message}`;
    }
  }
}
for (let i = 0; i < files.length; i++) {
  console.log(
    JSON.stringify({
      file: files[i],
      compile_ms: median(compile[i]),
      instantiate_ms: median(instantiate[i]),
      error: errors[i],
    }),
  );
}
