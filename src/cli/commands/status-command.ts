import { Command } from 'commander';

export function statusCommand(): Command {
  return new Command('status')
    .description('show what is indexed, how big the cache is, and whether HEAD moved since')
    .option('--json', 'print one JSON document')
    .addHelpText('after', '\nExamples:\n  gitctx status\n  gitctx status --json | jq .stale')
    .action(async (flags: { json?: boolean }) => {
      const [{ openContext }, { readStatus, describeStatus }] = await Promise.all([import('../../app/context.js'), import('../../app/status.js')]);
      const context = await openContext();
      const { indexLocationOf } = await import('../../app/context.js');
      const report = await readStatus(context.repo, context.workspace, await indexLocationOf(context));
      process.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : `${describeStatus(report)}\n`);
    });
}
