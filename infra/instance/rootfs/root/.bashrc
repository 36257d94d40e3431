# ~/.bashrc of a Playground instance (root).

# Not interactive: do nothing.
case $- in *i*) ;; *) return ;; esac

HISTCONTROL=ignoreboth
HISTSIZE=5000
HISTFILESIZE=10000
shopt -s histappend checkwinsize

# Coloured prompt: green user@host, blue working directory.
PS1='\[\e[1;32m\]\u@\h\[\e[0m\]:\[\e[1;34m\]\w\[\e[0m\]\$ '
# Window title of xterm-like terminals.
case "$TERM" in xterm*|rxvt*) PS1="\[\e]0;\u@\h: \w\a\]$PS1" ;; esac

# Programmable completion (docker, docker-compose, git, ...). A login shell (the terminal's)
# has it already from /etc/profile.d/bash_completion.sh; loading it twice cost every new
# terminal ~30 ms before its prompt.
if [ -z "${BASH_COMPLETION_VERSINFO:-}" ] && ! shopt -oq posix && [ -f /usr/share/bash-completion/bash_completion ]; then
  . /usr/share/bash-completion/bash_completion
fi

export EDITOR=nano
export LESS=-R
alias ls='ls --color=auto'
alias ll='ls -alF'
alias la='ls -A'
alias grep='grep --color=auto'

# Greeting, once per top-level shell, in the page's language (PLAYGROUND_LANG, set by the
# node agent from the page that opened the terminal: /etc/motd.<lang>, else /etc/motd).
if [ "${SHLVL:-1}" = 1 ] && [ -z "${PLAYGROUND_NO_MOTD:-}" ]; then
  motd=/etc/motd
  case "${PLAYGROUND_LANG:-}" in [a-z][a-z]) [ -r "/etc/motd.$PLAYGROUND_LANG" ] && motd=/etc/motd.$PLAYGROUND_LANG ;; esac
  [ -r "$motd" ] && cat "$motd"
  unset motd
fi
