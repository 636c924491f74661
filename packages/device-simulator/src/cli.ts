import { setTimeout as sleep } from 'node:timers/promises';
import { parseSimulatorArgs, UsageError, USAGE, type SimulatorOptions } from './cli-options.js';
import { simulatedDevices, type SimulatedDevice } from './devices.js';
import { createEventGenerator } from './event-generator.js';
import { assignFirmware } from './fleet.js';
import { boxesWithoutReportedIp, startFleetBoxApis, withBoxApiAddresses, type FleetBoxApis } from './fleet-box-apis.js';
import { createPicturePool } from './jpeg-pool.js';
import { runLoad } from './load-engine.js';
import type { Output } from './output.js';
import { progressBar } from './progress.js';
import { createRandom } from './random.js';
import { DEFAULT_UPLOAD_PATH, deviceRequestSource } from './request-source.js';
import { startStatusReports, type StatusSummary } from './status-schedule.js';
import { formatSummary } from './summary.js';

export interface SimulatorIo {
  output: Output;
  /** Where the progress bar is drawn (default stderr; nothing is drawn unless it is a terminal). */
  progressStream?: NodeJS.WritableStream;
  /** Ctrl-C: stop sending, finish what is in flight, report. */
  signal?: AbortSignal;
}

/** `sophon-simulate`: runs the simulation the arguments describe and reports it; resolves with the exit code. */
export async function runSimulatorCli(args: string[], io: SimulatorIo): Promise<number> {
  let options;
  try {
    options = parseSimulatorArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError) && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') !== true) throw error;
    io.output.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    io.output.line(USAGE);
    return 0;
  }

  let devices;
  try {
    devices = assignFirmware(simulatedDevices({ count: options.devices, tokens: options.tokens, token: options.token }), options.formats, options.seed);
    if (options.boxApiPort !== undefined) devices = withBoxApiAddresses(devices);
  } catch (error) {
    io.output.error((error as Error).message);
    return 2;
  }
  if (options.silentBoxes >= devices.length) {
    io.output.error(`--silent-boxes ${options.silentBoxes} leaves no box posting events (${devices.length} boxes)`);
    return 2;
  }
  let boxApis: FleetBoxApis | undefined;
  if (options.boxApiPort !== undefined) {
    try {
      boxApis = await startFleetBoxApis(devices, options.boxApiPort);
    } catch (error) {
      io.output.error((error as Error).message);
      return 2;
    }
    const unreported = boxesWithoutReportedIp(devices);
    if (unreported.length > 0) {
      io.output.error(`note: V6R2C01 status reports carry no box IP; for device-sync to reach those boxes, set DEVICE_SYNC_BOX_ADDRESSES=${boxApis.addressesOf(unreported)}`);
    }
  }
  try {
    return await simulate(options, devices, io, boxApis);
  } finally {
    await boxApis?.close();
  }
}

async function simulate(options: SimulatorOptions, devices: SimulatedDevice[], io: SimulatorIo, boxApis: FleetBoxApis | undefined): Promise<number> {
  // The last boxes go silent: with --tokens, the bound boxes come first and keep posting.
  const silent = devices.slice(devices.length - options.silentBoxes);
  const posting = devices.slice(0, devices.length - options.silentBoxes);
  const url = new URL(options.url);
  const path = url.pathname === '/' ? DEFAULT_UPLOAD_PATH : `${url.pathname}${url.search}`;
  const random = createRandom(options.seed);
  const generator = createEventGenerator({ profile: options.profile, random, pictures: options.profile === 'small' ? undefined : createPicturePool(options.seed) });
  const source = deviceRequestSource({ devices: posting, generator, batch: options.batch, path });
  // A generator of its own, so the events of a --seed are the same with or without reports.
  const status =
    options.statusIntervalSeconds > 0
      ? startStatusReports({
          url: url.origin, devices, silent, intervalMs: options.statusIntervalSeconds * 1000, random: createRandom(options.seed + 1),
          concurrency: options.concurrency, maxAttempts: options.maxAttempts, retryCapMs: options.retryCapMs, signal: io.signal,
        })
      : undefined;
  // The fleet announces itself first: a silent box's only report is in before anyone's events.
  await status?.firstRound;

  const bar = options.json ? undefined : progressBar(options, io.progressStream);
  let result;
  let statusReports: StatusSummary | undefined;
  try {
    result = await runLoad({
      url: url.origin,
      source,
      concurrency: options.concurrency,
      rate: options.rate,
      durationMs: options.durationMs,
      events: options.events,
      maxAttempts: options.maxAttempts,
      retryCapMs: options.retryCapMs,
      signal: io.signal,
      onProgress: bar?.update,
    });
  } finally {
    bar?.stop();
    statusReports = await status?.stop(); // the reports end with the events, whatever ended them
  }
  // Registrations reach the boxes after their events: through Kafka, the registration worker and device-sync.
  if (boxApis && options.boxApiLingerMs > 0) await sleep(options.boxApiLingerMs, undefined, { signal: io.signal }).catch(() => undefined);

  const context = { url: `${url.origin}${path}`, profile: options.profile, batch: options.batch, devices: devices.length, formats: options.formats, statusReports, boxApi: boxApis?.summary() };
  if (options.json) io.output.json({ ...context, rate: options.rate ?? 'max', concurrency: options.concurrency, ...result });
  else for (const line of formatSummary(result, context)) io.output.line(line);
  return result.eventsAccepted > 0 ? 0 : 1;
}
