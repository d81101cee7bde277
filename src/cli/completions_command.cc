// `forensics completions bash|zsh|fish|man`: a completion script for a shell, or the man page,
// from the command table (shell_completion.h). The build writes all four under build/share.
#include <iostream>

#include "command.h"
#include "shell_completion.h"

namespace forensics::cli {

void define_completions(CLI::App& app, Action& action) {
  auto target = std::make_shared<std::string>();
  app.add_option("target", *target, "bash, zsh or fish (a completion script), or man (the man page, roff)")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish", "man"}));
  app.footer(
      "bash:  source <(forensics completions bash)   (or save it in ~/.local/share/bash-completion/completions/forensics)\n"
      "zsh:   forensics completions zsh > ~/.zfunc/_forensics   (with fpath+=(~/.zfunc) before compinit)\n"
      "fish:  forensics completions fish > ~/.config/fish/completions/forensics.fish\n"
      "man:   forensics completions man > ~/.local/share/man/man1/forensics.1");
  app.callback([target, &app, &action] {
    action = [target, &app] {
      const CLI::App& root = *app.get_parent();
      std::cout << (*target == "man" ? man_page(root) : completion_script(root, *target));
      return kExitOk;
    };
  });
}

}  // namespace forensics::cli
