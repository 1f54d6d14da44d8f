/* Source of the empty archives that satisfy link_whole of an unbuilt target. */
int voxreply_offline_build_empty_archive;
