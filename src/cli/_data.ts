/**
 * Resolves the CLI's `--data` / `--format` to datasets through the library's
 * {@linkcode loadAny}, rewording its {@linkcode DataSourceError}s so that
 * they name the flag.
 *
 * @module
 */
import {
  DATA_FORMATS,
  type DataFormat,
  DataSourceError,
  loadAny,
  type LoadedData,
} from "../data/load_any.ts";
import { loadNotes } from "../data/load_notes.ts";
import { UsageError } from "./usage_error.ts";

/**
 * Data formats `--format` accepts: the library's {@linkcode DATA_FORMATS},
 * under the name `parse.ts` reads.
 */
export const FORMATS: typeof DATA_FORMATS = DATA_FORMATS;
export type { DataFormat };

/** The CLI's wording of each problem with `--data`. */
function usageError(e: DataSourceError): UsageError {
  switch (e.problem) {
    case "not-found":
      return new UsageError(
        `Cannot use --data "${e.path}": no such file or folder`,
      );
    case "unknown-format":
      return new UsageError(
        `Cannot detect the format of --data "${e.path}": name it with --format (${
          FORMATS.join(", ")
        })`,
      );
    case "no-train-images":
      return new UsageError(
        `Cannot use --data "${e.path}": no train-images-idx3-ubyte(.gz) in it`,
      );
    default: {
      const never: never = e.problem;
      return new UsageError(`Cannot use --data "${e.path}": ${never}`);
    }
  }
}

/**
 * Loads `--data` (a file or folder; `bundled` or nothing for the embedded
 * Fashion-MNIST subset; `fashion-mnist` for the full set when present).
 */
export async function loadData(
  path: string | undefined,
  format: DataFormat = "auto",
  options: { limit?: number } = {},
): Promise<LoadedData> {
  try {
    const data = await loadAny(path ?? "bundled", {
      format,
      limit: options.limit,
    });
    for (const note of loadNotes(data)) console.error(`data: ${note}`);
    return data;
  } catch (e) {
    if (e instanceof DataSourceError) throw usageError(e);
    throw e;
  }
}
