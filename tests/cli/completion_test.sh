#!/usr/bin/env bash
# The generated completion scripts and man page, tried in the real shells and in man:
# completion_test.sh <build share folder>. zsh and fish come from scripts/setup.sh.
set -u
share="$1"
failures=0
expect() {  # expect WHAT GOT WANTED
  if [[ "$2" != *"$3"* ]]; then
    echo "FAIL: $1: got [$2], wanted [$3]"
    failures=$((failures + 1))
  fi
}

# bash: the words a user has typed, the cursor on the last one.
source "$share/bash-completion/completions/forensics"
complete_bash() {
  COMP_WORDS=("$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _forensics
  echo "${COMPREPLY[*]}"
}
expect "bash: a command prefix" "$(complete_bash forensics inv)" "investigate"
expect "bash: an option of investigate" "$(complete_bash forensics investigate x.json --keep)" "--keep-samples"
expect "bash: model's subcommands" "$(complete_bash forensics model '')" "info score sample"
expect "bash: an option two commands deep" "$(complete_bash forensics organism train r.json --tok)" "--tokenizer"

# zsh: the completion function with zsh's completion builtins stubbed to print what they get.
for shell in zsh fish; do
  command -v "$shell" >/dev/null || { echo "FAIL: $shell is not installed (scripts/setup.sh installs it)"; exit 1; }
done
zsh_out=$(zsh -f -c '
  compdef() { :; }
  _describe() { print -r -- "${(@)${(@P)2}%%:*}"; }
  compadd() { print -r -- "${(@P)2}"; }
  _files() { print -r -- FILES; }
  source "$1/zsh/site-functions/_forensics"
  words=(forensics model ""); CURRENT=3; PREFIX=""; _forensics
  words=(forensics batch cases --re); CURRENT=4; PREFIX="--re"; _forensics
  words=(forensics validate ""); CURRENT=3; PREFIX=""; _forensics
' zsh "$share")
expect "zsh: model's subcommands" "$zsh_out" "info score sample"
expect "zsh: an option of batch" "$zsh_out" "--resume"
expect "zsh: a file where validate takes one" "$zsh_out" "FILES"

fish_out=$(fish -c "source $share/fish/vendor_completions.d/forensics.fish
  complete -C 'forensics dif'; complete -C 'forensics model sam'; complete -C 'forensics diff a b --alp'")
expect "fish: a command" "$fish_out" "diff"
expect "fish: a subcommand" "$fish_out" "sample"
expect "fish: an option" "$fish_out" "--alpha"

# man: renders without warnings and documents every command.
man_warnings=$(MANWIDTH=100 man --warnings -l "$share/man/man1/forensics.1" 2>&1 >/dev/null)
expect "man: no warnings" "[${man_warnings}]" "[]"
man_text=$(MANWIDTH=100 man -l "$share/man/man1/forensics.1" 2>/dev/null)
for command in investigate batch diff validate "model info" "organism capture" completions; do
  expect "man: documents $command" "$man_text" "forensics $command"
done
expect "man: exit status 5" "$man_text" "A verdict was written but a probe failed"

[[ $failures -eq 0 ]] && echo ok
exit $((failures > 0))
