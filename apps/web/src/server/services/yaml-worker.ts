/**
 * The thread side of bounded-yaml.ts: runs config-model's YAML readers on whatever the
 * console's callers send, so a document that is slow or large to parse costs this thread
 * (which the console terminates at its deadline), never the event loop serving everyone.
 */
import { parentPort } from "node:worker_threads";
import { jsonErrorLine, linesOfPaths, parseConfigText } from "@switchyard/config-model";
import type { TYamlTask } from "./bounded-yaml.ts";

function run(task: TYamlTask): unknown {
  switch (task.op) {
    case "parse":
      return parseConfigText(task.text);
    case "lines":
      return linesOfPaths(task.text, task.paths);
    case "jsonErrorLine":
      return jsonErrorLine(task.text);
  }
}

const port = parentPort!;
port.on("message", (task: TYamlTask) => port.postMessage(run(task)));
port.postMessage("ready");
