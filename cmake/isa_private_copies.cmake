# cmake -DNM=... -DOBJCOPY=... -DREADELF=... -DSRC_OBJ=obj -DDST_OBJ=obj -DSUFFIX=isa_v4 -P isa_private_copies.cmake
#
# Makes an ISA level's object keep its own copies of shared inline code. An
# inline function or template instantiation (std::vector<float*>::push_back,
# a model pass) is a weak symbol in every object that uses it, and the linker
# keeps one copy for all callers: the AVX-512 one could reach baseline code
# and fault on a CPU without AVX-512. Renaming this object's weak functions
# and the weak data that can point at them (vtables, std::visit's tables) to
# NAME.SUFFIX makes them distinct (their COMDAT groups follow, so nothing else
# is merged into them). Function-local statics (_ZZ: the step pool, the
# thread settings), their guards and the typeinfo keep their names: one
# object for the whole module, and exceptions still match their handlers.
foreach(var NM OBJCOPY READELF SRC_OBJ DST_OBJ SUFFIX)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "isa_private_copies.cmake: -D${var}=... is required")
  endif()
endforeach()

execute_process(COMMAND "${NM}" --defined-only -P "${SRC_OBJ}"
                OUTPUT_VARIABLE listing RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "isa_private_copies.cmake: ${NM} failed on ${SRC_OBJ}: ${err}")
endif()

set(names "")
string(REPLACE "\n" ";" lines "${listing}")
foreach(line IN LISTS lines)
  # POSIX format: "name type value size"
  if(line MATCHES "^([^ ]+) ([A-Za-z]) ")
    set(name "${CMAKE_MATCH_1}")
    set(type "${CMAKE_MATCH_2}")
    if(type STREQUAL "W")
      list(APPEND names "${name}")
    elseif(type MATCHES "^[Vu]$" AND NOT name MATCHES "^(_ZZ|_ZGV|_ZTI|_ZTS|DW\\.ref\\.)")
      list(APPEND names "${name}")
    endif()
  endif()
endforeach()

# The linker keeps one COMDAT group per signature name, whatever the symbols
# in it are called: a group of code also needs a new name, or another
# object's copy replaces ours and our renamed symbols end up undefined. Most
# groups are named after their function; a constructor's or destructor's
# (C5/D5) after a local symbol of its own.
execute_process(COMMAND "${READELF}" -gW "${SRC_OBJ}"
                OUTPUT_VARIABLE groups RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "isa_private_copies.cmake: ${READELF} failed on ${SRC_OBJ}: ${err}")
endif()
string(REPLACE "\n" ";" lines "${groups}")
set(group "")
foreach(line IN LISTS lines)
  if(line MATCHES "^COMDAT group section .* \\[([^]]+)\\] contains")
    set(group "${CMAKE_MATCH_1}")
  elseif(group AND line MATCHES "\\] +\\.text\\.")
    list(APPEND names "${group}")
    set(group "")
  endif()
endforeach()
list(REMOVE_DUPLICATES names)
list(LENGTH names count)
set(renames "")
foreach(name IN LISTS names)
  string(APPEND renames "${name} ${name}.${SUFFIX}\n")
endforeach()

set(map "${DST_OBJ}.renames")
file(WRITE "${map}" "${renames}")
execute_process(COMMAND "${OBJCOPY}" "--redefine-syms=${map}" "${SRC_OBJ}" "${DST_OBJ}"
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "isa_private_copies.cmake: ${OBJCOPY} failed on ${SRC_OBJ}: ${err}")
endif()
message(STATUS "${DST_OBJ}: ${count} weak functions, vtables and groups made private to ${SUFFIX}")
