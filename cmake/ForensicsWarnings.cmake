# One warning policy for every target of the project (not for third-party headers, which come
# in as SYSTEM includes from their imported targets).
add_library(forensics_warnings INTERFACE)
target_compile_options(forensics_warnings INTERFACE -Wall -Wextra -Wshadow=local
                       $<$<BOOL:${FORENSICS_WERROR}>:-Werror>)
