package runtime

// User is who a container's command runs as: the ids and home directory
// ResolveUser finds.
type User struct {
	UID, GID int
	Groups   []int // supplementary
	Home     string
}

// ReadUserFiles reads an image's /etc/passwd and /etc/group with read
// (nil for a file that is missing or cannot be read, as the container's
// init has it), and resolves spec against them.
func ReadUserFiles(spec string, read func(name string) ([]byte, error)) (User, error) {
	passwd, _ := read("/etc/passwd")
	group, _ := read("/etc/group")
	return ResolveUser(spec, passwd, group)
}
