# Warning flags for cosmograd's own targets; third-party headers are SYSTEM.

# Adds -Wall -Wextra (and -Werror when COSMOGRAD_WERROR) to TARGET's own sources.
function(cosmograd_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow=local>
    $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<BOOL:${COSMOGRAD_WERROR}>>:-Werror>
    $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra>
    $<$<AND:$<COMPILE_LANGUAGE:CUDA>,$<BOOL:${COSMOGRAD_WERROR}>>:-Werror=all-warnings>)
endfunction()

# Adds the sanitizer flags of COSMOGRAD_SANITIZE (e.g. "address,undefined") to TARGET.
function(cosmograd_sanitize target)
  if(COSMOGRAD_SANITIZE)
    target_compile_options(${target} PRIVATE
      $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=${COSMOGRAD_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all>)
    target_link_options(${target} PUBLIC -fsanitize=${COSMOGRAD_SANITIZE})
  endif()
endfunction()
