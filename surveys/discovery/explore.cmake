# discovery: explore sources (surveys/discovery/explore.cmake, included by CMakeLists.txt):
# embeddings files, anomaly injection, exact neighbours, isolation forest / kNN-distance
# anomaly scores, the self-organising map and stamp mosaics.
target_sources(cosmograd_surveys_discovery PRIVATE
  embeddings_file.cpp
  anomaly_injection.cpp
  neighbours.cpp
  anomaly_detection.cpp
  self_organising_map.cpp
  stamp_mosaic.cpp
)
