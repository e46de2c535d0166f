# discovery: massmap sources (surveys/discovery/massmap.cmake, included by CMakeLists.txt)
target_sources(cosmograd_surveys_discovery PRIVATE
  mass_map_data.cpp
  mass_map_filters.cpp
  mass_map_net.cpp
)
