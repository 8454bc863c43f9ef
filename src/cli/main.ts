// The `fleetplane` command. Every failure ends as ONE line on stderr and a non-zero exit:
// 2 = bad flags/usage, 1 = the server refused or an operation failed, 3 = server unreachable,
// 4 = timed out.
import { Command, CommanderError } from 'commander';
import { CliError } from './client.ts';
import { DEFAULT_SERVER } from './context.ts';
import * as commands from './commands/index.ts';
import { io, processIo, setIo, type CliIo } from './io.ts';
import { coerceError } from '../domain/errors.ts';

const VERSION = '0.1.0';

export function buildProgram(): Command {
  const out = io();
  const program = new Command('fleetplane')
    .description('Fleetplane: run one isolated environment per customer on Kubernetes')
    // Only -V here: commander matches program options after a subcommand too, so a program-level
    // --version would swallow `envs upgrade … --version 1.5.0`. `fleetplane --version` is kept in main().
    .version(VERSION, '-V', 'output the version number (also: fleetplane --version)')
    .option('--server <url>', `API server (env FLEETPLANE_SERVER, default ${DEFAULT_SERVER})`)
    .option('--token <token>', 'bearer token (env FLEETPLANE_TOKEN)')
    .option('-o, --output <format>', 'table | json | yaml', 'table')
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (t) => out.out(t), writeErr: (t) => out.err(t) })
    .exitOverride();
  for (const register of Object.values(commands)) register(program);
  // Commander prints its own one-line usage errors; subcommands inherit exitOverride.
  program.commands.forEach(function override(c: Command) {
    c.exitOverride();
    c.configureOutput({ writeOut: (t) => out.out(t), writeErr: (t) => out.err(t) });
    c.commands.forEach(override);
  });
  return program;
}

export async function main(argv: string[], streams: CliIo = processIo): Promise<number> {
  setIo(streams);
  if (argv.length === 1 && argv[0] === '--version') {
    io().out(`${VERSION}\n`);
    return 0;
  }
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    if (err instanceof CliError) {
      io().err(`fleetplane: ${err.message}\n`);
      return err.exitCode;
    }
    const msg = coerceError(err).message;
    io().err(`fleetplane: ${msg.split('\n')[0]}\n`);
    return 1;
  }
}

const isEntry = process.argv[1] && /(?:main\.[jt]s|fleetplane(?:\.js)?)$/.test(process.argv[1]);
if (isEntry) process.exitCode = await main(process.argv.slice(2));
