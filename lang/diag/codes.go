package diag

// Code is a diagnostic's stable identifier, such as "G001". Codes never change
// meaning; docs/diagnostics.md documents each one with a failing example.
type Code string

// Syntax errors, reported by the lexer and the parser.
const (
	UnterminatedString  Code = "G001" // a string without its closing quote on the same line
	BadEscape           Code = "G002" // an escape other than \" \\ \n \t \$
	IllegalCharacter    Code = "G003" // a character that cannot start a token, NUL, invalid UTF-8
	SyntaxError         Code = "G004" // a token where another was expected
	UnknownInstruction  Code = "G005" // a word at the start of a line that is no instruction
	KeywordCase         Code = "G006" // a keyword spelled in the wrong case
	MalformedList       Code = "G007" // an exec-form list that is not ["str", ...]
	UnterminatedHeredoc Code = "G008" // a script block without its closing delimiter
	BadReference        Code = "G009" // a malformed ${...} reference
	TooManyErrors       Code = "G010" // reporting stopped after many syntax errors
)

// Errors found by the checker.
const (
	BeforeUsing       Code = "G101" // an instruction before the first Using
	UndefinedVariable Code = "G102" // ${NAME} in a gun-expanded string with no Arg or Env NAME
	DuplicateStage    Code = "G103" // two stages with the same name
	UndefinedStage    Code = "G104" // Using or Copy From names no stage
	LaterStage        Code = "G105" // Using or Copy From names a stage defined later
	SelfReference     Code = "G106" // a stage that uses or copies from itself
	CopyOutside       Code = "G107" // a Copy source that leaves the build context
	CopyAbsolute      Code = "G108" // an absolute Copy source from the build context
	EmptyCommand      Code = "G109" // Exec or Main with nothing to run
	InvalidName       Code = "G110" // an Env or Arg name that is not [A-Za-z_][A-Za-z0-9_]*
	InvalidStageName  Code = "G111" // a stage name that is not a lowercase name, or is "scratch"
	InvalidMode       Code = "G112" // a Copy Mode that is not an octal number up to 7777
	EmptyValue        Code = "G113" // Workdir, User or a Copy path that is empty
)

// Warnings found by the checker.
const (
	UnusedArg       Code = "G201" // an Arg that nothing refers to
	RelativeWorkdir Code = "G202" // a relative Workdir before any absolute one in a stage
	DuplicateMain   Code = "G203" // Main given twice in one stage
	UnpinnedBase    Code = "G204" // a Using of a registry image tagged latest, or untagged with a path
	BadIgnore       Code = "G205" // a # gun:ignore that names no code, or an unknown one
)

// Found in shell commands (Exec and Main strings, script blocks) by the
// shell analysis.
const (
	ShellSyntax        Code = "G301" // a shell syntax error
	BashOnly           Code = "G302" // bash syntax in a command run by /bin/sh
	UnsetShellVariable Code = "G303" // $NAME that no Arg, Env or earlier assignment sets
	AptNoYes           Code = "G304" // apt-get install without -y
	AptRecommends      Code = "G305" // apt-get install without --no-install-recommends
	AptListsKept       Code = "G306" // apt lists not removed in the step that fetched them
	AptUpgrade         Code = "G307" // apt-get upgrade or dist-upgrade
	AptUpdateAlone     Code = "G308" // apt-get update in a step that installs nothing
	UnpinnedPackage    Code = "G309" // pip install, npm install -g or apk add without a version
	ApkCache           Code = "G310" // apk add without --no-cache
	CdFirst            Code = "G311" // cd as a step's first command
	Sudo               Code = "G312" // sudo in a build step
	PipeHidesFailure   Code = "G313" // curl ... | sh, where a failed download goes unnoticed
	TwoDownloaders     Code = "G314" // both wget and curl in one image
	UseraddLargeUID    Code = "G315" // useradd with a large uid and without -l
	NoSetE             Code = "G316" // a script block without set -e
	MainStringForm     Code = "G317" // Main as a string where a list would do
	ArgAtRunTime       Code = "G318" // an Arg in a Main, Entrypoint or Healthcheck command, which runs without Args
	RpmNoYes           Code = "G319" // yum, dnf or zypper install without -y
	RpmCacheKept       Code = "G320" // yum, dnf or zypper install without a clean in the same step
	PipCache           Code = "G321" // pip install without --no-cache-dir
)

// Errors and warnings of Entrypoint, Expose, Volume, StopSignal, Shell,
// Healthcheck, Exec's mounts and network, and Copy's Unpack, Expand, URLs
// and inline files.
const (
	InvalidPort        Code = "G130" // an Expose port that is not 1-65535[/tcp|udp|sctp]
	InvalidSignal      Code = "G131" // a StopSignal that names no signal
	ShellNotList       Code = "G132" // a Shell that is not an exec-form list
	InvalidOptionValue Code = "G133" // a duration, count, size or choice that is not one
	RelativeTarget     Code = "G134" // a mount target or Volume that is not an absolute path
	BindOutside        Code = "G135" // a Bind source that leaves the build context
	CopyConflict       Code = "G136" // Copy options that do not go together
	InsecureURL        Code = "G137" // a Copy source over plain http
	DuplicateTarget    Code = "G138" // two mounts of one Exec at the same path
	InvalidSecretID    Code = "G139" // a Secret id that is not letters, digits, '_', '-', '.'
	InheritedScratch   Code = "G140" // Env NAME Inherited in a stage built from scratch
	RootTarget         Code = "G141" // a mount at /, which would hide the stage's file system
	DuplicateSetting   Code = "G230" // Entrypoint, StopSignal or Healthcheck given twice in one stage
	InlineNotExpanded  Code = "G231" // a $NAME of a visible Arg or Env in an inline file without Expand
)

// CodeInfo describes a code for documentation and tools.
type CodeInfo struct {
	Code     Code
	Severity Severity
	Title    string
}

// Codes lists every code in order.
var Codes = []CodeInfo{
	{UnterminatedString, Error, "unterminated string"},
	{BadEscape, Error, "invalid escape sequence"},
	{IllegalCharacter, Error, "illegal character"},
	{SyntaxError, Error, "syntax error"},
	{UnknownInstruction, Error, "unknown instruction"},
	{KeywordCase, Error, "keyword in the wrong case"},
	{MalformedList, Error, "malformed exec-form list"},
	{UnterminatedHeredoc, Error, "unterminated script block"},
	{BadReference, Error, "malformed variable reference"},
	{TooManyErrors, Error, "too many errors"},
	{BeforeUsing, Error, "instruction before the first Using"},
	{UndefinedVariable, Error, "undefined variable"},
	{DuplicateStage, Error, "duplicate stage name"},
	{UndefinedStage, Error, "undefined stage"},
	{LaterStage, Error, "stage defined later"},
	{SelfReference, Error, "stage refers to itself"},
	{CopyOutside, Error, "Copy source outside the build context"},
	{CopyAbsolute, Error, "absolute Copy source"},
	{EmptyCommand, Error, "empty command"},
	{InvalidName, Error, "invalid variable name"},
	{InvalidStageName, Error, "invalid stage name"},
	{InvalidMode, Error, "invalid mode"},
	{EmptyValue, Error, "empty value"},
	{UnusedArg, Warning, "unused Arg"},
	{RelativeWorkdir, Warning, "relative Workdir"},
	{DuplicateMain, Warning, "Main given twice"},
	{UnpinnedBase, Warning, "registry base without a version"},
	{BadIgnore, Warning, "gun:ignore without a known code"},
	{ShellSyntax, Error, "shell syntax error"},
	{BashOnly, Error, "bash syntax in a sh command"},
	{UnsetShellVariable, Warning, "shell variable never set"},
	{AptNoYes, Warning, "apt-get install without -y"},
	{AptRecommends, Info, "apt-get install without --no-install-recommends"},
	{AptListsKept, Info, "apt lists not removed"},
	{AptUpgrade, Warning, "apt-get upgrade in a build"},
	{AptUpdateAlone, Warning, "apt-get update alone"},
	{UnpinnedPackage, Info, "package version not pinned"},
	{ApkCache, Info, "apk add without --no-cache"},
	{CdFirst, Warning, "cd instead of Workdir"},
	{Sudo, Warning, "sudo in a build step"},
	{PipeHidesFailure, Warning, "download piped into a shell"},
	{TwoDownloaders, Info, "both wget and curl"},
	{UseraddLargeUID, Warning, "useradd with a large uid without -l"},
	{NoSetE, Warning, "script block without set -e"},
	{MainStringForm, Info, "Main in string form"},
	{ArgAtRunTime, Warning, "Arg used at run time"},
	{RpmNoYes, Warning, "yum, dnf or zypper install without -y"},
	{RpmCacheKept, Info, "yum, dnf or zypper cache kept"},
	{PipCache, Info, "pip install without --no-cache-dir"},
	{InvalidPort, Error, "invalid port"},
	{InvalidSignal, Error, "invalid signal"},
	{ShellNotList, Error, "Shell is not a list"},
	{InvalidOptionValue, Error, "invalid option value"},
	{RelativeTarget, Error, "relative target path"},
	{BindOutside, Error, "Bind source outside the build context"},
	{CopyConflict, Error, "conflicting Copy options"},
	{InsecureURL, Error, "http URL"},
	{DuplicateTarget, Error, "two mounts at one path"},
	{InvalidSecretID, Error, "invalid secret id"},
	{InheritedScratch, Error, "Env Inherited from scratch"},
	{RootTarget, Error, "mount at the root"},
	{DuplicateSetting, Warning, "setting given twice"},
	{InlineNotExpanded, Warning, "variable in an inline file without Expand"},
}
