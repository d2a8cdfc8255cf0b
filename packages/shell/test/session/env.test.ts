// Which of the client's environment variables reach the container: the terminal type and
// the locale, and nothing that could change how a program loads or who it acts as.
import t from 'tap'
import { sessionEnv } from '../../src/session/env.ts'

t.test('TERM, LANG and LC_* pass, as NAME=value', async (t) => {
  t.same(sessionEnv({ TERM: 'xterm-256color', LANG: 'en_GB.UTF-8', LC_ALL: 'C.UTF-8', LC_TIME: 'de_DE.UTF-8', LC_MY_THING: 'x=y' }).sort(),
    ['LANG=en_GB.UTF-8', 'LC_ALL=C.UTF-8', 'LC_MY_THING=x=y', 'LC_TIME=de_DE.UTF-8', 'TERM=xterm-256color'])
})

t.test('variables that load code, grant roles or steer lookups do not pass', async (t) => {
  const hostile: Record<string, unknown> = {
    LD_PRELOAD: '/tmp/evil.so',
    LD_LIBRARY_PATH: '/tmp',
    NODE_OPTIONS: '--require /tmp/evil.js',
    IAM_ROLE: 'admin',
    AWS_PROFILE: 'admin',
    PATH: '/tmp:/usr/bin',
    HOME: '/root',
    USER: 'root',
    SHELL: '/bin/sh',
    BASH_ENV: '/tmp/evil.sh',
    ENV: '/tmp/evil.sh',
    PROMPT_COMMAND: 'curl evil',
    SSH_CONNECTION: '1.2.3.4 5 6.7.8.9 22',
    SUDO_UID: '0',
    TERMINFO: '/tmp/terminfo',
    TERMCAP: 'x',
    LANGUAGE: 'de',
    LC_: 'empty-suffix',
    lc_all: 'C',
    term: 'dumb',
    XLC_ALL: 'C',
    LC_ALLX: 'C',
    'LC_ALL\nLD_PRELOAD': 'x'
  }
  t.same(sessionEnv(hostile), ['LC_ALLX=C'], 'only the LC_ name passes')
  t.same(sessionEnv({ ...hostile, LC_ALLX: undefined }), [])
})

t.test('a value with a newline or a NUL does not pass, even under an allowed name', async (t) => {
  t.same(sessionEnv({ TERM: 'xterm\nLD_PRELOAD=/tmp/evil.so', LANG: 'C\n', LC_ALL: '\nIAM_ROLE=admin', LC_NUMERIC: 'C\0LD_PRELOAD=x', LC_CTYPE: 'C.UTF-8' }), ['LC_CTYPE=C.UTF-8'])
})

t.test('only strings pass: the request is JSON, and a number, object or null is no value', async (t) => {
  t.same(sessionEnv({ TERM: 5, LANG: { x: 1 }, LC_ALL: null, LC_TIME: ['C'], LC_CTYPE: true }), [])
})

t.test('variables that are unset do not appear, and empty ones pass as empty', async (t) => {
  t.same(sessionEnv({ TERM: undefined, LANG: '' }), ['LANG='])
  t.same(sessionEnv({}), [])
})
