# discovery: symbolic sources (surveys/discovery/symbolic.cmake, included by CMakeLists.txt):
# expression trees, the genetic-programming search with its constant fitting, and the mock
# data sets (Sersic b_n, HOD <N_sat>) with their law tests.
target_sources(cosmograd_surveys_discovery PRIVATE
  symbolic_expression.cpp
  symbolic_regression.cpp
  symbolic_data.cpp
)
