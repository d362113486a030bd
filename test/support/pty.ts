// A pseudo-terminal for tests of prompts (python3's pty module: Node has none).
import { execa, execaSync } from 'execa';

const PTY_DRIVER = `
import fcntl, json, os, pty, select, struct, sys, termios
argv, answers, size = json.loads(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
pid, fd = pty.fork()
if pid == 0:
    if size:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', size[0], size[1], 0, 0))
    os.execv(argv[0], argv)
shown = b''
def pump(until=None):
    global shown
    while until is None or until.encode() not in shown:
        if not select.select([fd], [], [], 30)[0]:
            return
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            return
        if not chunk:
            return
        shown += chunk
for prompt, answer in answers:
    pump(prompt)
    os.write(fd, answer.encode())
pump()
status = os.waitpid(pid, 0)[1]
sys.stdout.write(json.dumps({"shown": shown.decode(), "code": os.waitstatus_to_exitcode(status)}))
`;

export const hasPty = execaSync('python3', ['-c', 'import pty'], { reject: false }).exitCode === 0;

/**
 * Runs argv on a terminal, typing each answer once its prompt appears; returns everything the terminal showed.
 * `size` [rows, columns]: a terminal that reports its size (a new pseudo-terminal reports none).
 */
export async function runOnTerminal(
  argv: string[],
  answers: [prompt: string, answer: string][],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; size?: [rows: number, columns: number] } = {},
): Promise<{ shown: string; code: number }> {
  const run = await execa('python3', ['-c', PTY_DRIVER, JSON.stringify(argv), JSON.stringify(answers), JSON.stringify(options.size ?? null)], {
    env: options.env,
    extendEnv: false,
    cwd: options.cwd,
  });
  return JSON.parse(run.stdout as string);
}
