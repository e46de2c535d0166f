# discover: symbolic tests (tests/surveys/discover_symbolic.cmake, included by CMakeLists.txt):
# expression trees, constant fitting, the genetic-programming search and the mock data sets
# (unit), then `cosmograd discover symbolic` on both mocks and on a small CSV with tiny settings,
# and a bad operator refused by name (integration). No fixture: the command makes its own data.
cosmograd_add_test(surveys_discover_symbolic LABELS unit LIBS cosmograd::surveys_discovery
  SOURCES test_discover_symbolic.cpp)
set(symbolic_dir ${CMAKE_CURRENT_BINARY_DIR}/discover_symbolic)
set(symbolic_tiny --population 60 --generations 8 --overwrite true)
add_test(NAME discover.symbolic_sersic
         COMMAND $<TARGET_FILE:cosmograd> discover symbolic --dataset sersic_bn --points 60
                 ${symbolic_tiny} --out ${symbolic_dir}/sersic)
set_tests_properties(discover.symbolic_sersic PROPERTIES PASS_REGULAR_EXPRESSION "Law test")
add_test(NAME discover.symbolic_hod
         COMMAND $<TARGET_FILE:cosmograd> discover symbolic --dataset hod_nsat --halos 5000
                 --bins 12 --extrapolation_bins 4 ${symbolic_tiny} --out ${symbolic_dir}/hod)
set_tests_properties(discover.symbolic_hod PROPERTIES PASS_REGULAR_EXPRESSION "Pareto front")
# A small CSV (y = 3 x^2 + 1 with sigma 0.1) written at configure time.
set(symbolic_csv ${CMAKE_CURRENT_BINARY_DIR}/discover_symbolic_data.csv)
set(rows "x,y,sigma\n")
foreach(i RANGE 1 24)
  math(EXPR y "3 * ${i} * ${i} + 1")
  string(APPEND rows "${i},${y},0.1\n")
endforeach()
file(WRITE ${symbolic_csv} "${rows}")
add_test(NAME discover.symbolic_csv
         COMMAND $<TARGET_FILE:cosmograd> discover symbolic --data ${symbolic_csv}
                 ${symbolic_tiny} --out ${symbolic_dir}/csv)
set_tests_properties(discover.symbolic_csv PROPERTIES PASS_REGULAR_EXPRESSION "user data")
# An unknown operator is refused, naming it.
add_test(NAME discover.symbolic_bad_operator
         COMMAND $<TARGET_FILE:cosmograd> discover symbolic --operators +,-,sin
                 --out ${symbolic_dir}/never)
set_tests_properties(discover.symbolic_bad_operator PROPERTIES
                     PASS_REGULAR_EXPRESSION "unknown operator 'sin'")
set_tests_properties(discover.symbolic_sersic discover.symbolic_hod discover.symbolic_csv
                     discover.symbolic_bad_operator PROPERTIES LABELS integration TIMEOUT 60)
