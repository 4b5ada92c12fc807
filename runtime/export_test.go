package runtime

// CgroupPrefix is cgroupPrefix, for the tests of package runtime_test.
var CgroupPrefix = cgroupPrefix
