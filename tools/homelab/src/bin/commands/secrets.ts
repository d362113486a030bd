// secrets <view|get|set|rm|edit|rotate|recipients|updatekeys>: read and change SOPS files (with or without sops).
import { parseSecretsArgs, SECRETS_OPTIONS, secrets } from '../../core/commands/secrets.ts';
import { terminalConfirm } from '../../core/exec/terminal.ts';
import { readSecretValue, stdinBytes } from '../prompt.ts';
import { command } from '../shell.ts';

export default command({
  usage: `
Usage: {cmd} <subcommand> [options]

Reads and changes secrets.yaml (or --file) in memory: plaintext is never written to disk (edit's one
file lives in a memory-backed directory), and every change is re-encrypted and written atomically,
keeping comments, key order and the ciphertext of every value that did not change. With the sops
binary on PATH, sops makes the changes (values on its stdin, never argv); HOMELAB_SOPS_BACKEND=builtin
uses the built-in engine.

Subcommands:
  view                       the whole document, values masked (REDACTED<hash>, stable per value)
  view --reveal              decrypted, only to a terminal
  view --reveal --output json
                             the decrypted document as JSON, for scripts
  get <path>                 one decrypted value (exact bytes when piped; --output json for JSON)
  set <path>                 set a value read from stdin, or typed at a hidden prompt (twice);
                             never from the command line. Creates --file when missing, encrypted for
                             the recipients of the matching .sops.yaml creation rule
  set <path> --from-file <file>
                             set a value to a file's exact bytes (a certificate); - reads stdin
  rm <path>                  remove a value
  edit [file]                the decrypted document in $SOPS_EDITOR, $EDITOR, $VISUAL or vim/nano/vi,
                             in a 0700 directory on tmpfs ($XDG_RUNTIME_DIR or /dev/shm), removed
                             on every exit; refused where no such directory exists
  rotate                     new data key: every value re-encrypted
  recipients [list]          the age recipients the file is encrypted for
  recipients add <age1…>…    re-wrap the data key for more recipients
  recipients remove <age1…>… drop recipients (then run rotate: they may have kept the data key)
  updatekeys [file]          recipients as the .sops.yaml creation rule for the file lists them
                             (shows what changes and asks; --yes skips the question)

Paths: keys joined by dots, [n] for list items, sops' ["key"] form for keys holding dots:
  monitoring.grafana.adminPassword   monitoring.alertmanager.emailTo[0]   ["a.b"]["c"]

Options:
  -f, --file <path>    another SOPS file (YAML, JSON, dotenv, INI or binary, by extension)
      --format <fmt>   yaml | json | dotenv | ini | binary, overriding the extension
  -o, --output json    JSON output (view, get)
      --type <type>    set: string | int | float | bool | json (default: the type of the value replaced)
      --from-file <f>  set: the value is the content of <f> (- for stdin)
  -y, --yes            updatekeys: no confirmation
      --reveal         view: decrypted values
  -h, --help           this help

Examples:
  {cmd} view
  openssl rand -base64 24 | {cmd} set monitoring.grafana.adminPassword
  {cmd} get gitops.repository.token | gh auth login --with-token
  {cmd} edit
  {cmd} set apps.tls.crt --from-file tls.crt
  {cmd} updatekeys
  {cmd} recipients add age1...yourkey && {cmd} recipients remove age1...demo && {cmd} rotate
`,
  options: SECRETS_OPTIONS,
  async run({ values, positionals, root }) {
    await secrets(parseSecretsArgs(values, positionals), {
      root,
      cwd: process.cwd(),
      shell: 'hack',
      stdoutIsTerminal: process.stdout.isTTY === true,
      write: (data) => process.stdout.write(data),
      info: (line) => process.stderr.write(`${line}\n`),
      readValue: readSecretValue,
      readStdin: stdinBytes,
      confirm: terminalConfirm(),
    });
  },
});
