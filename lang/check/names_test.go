package check

import "testing"

func TestValidName(t *testing.T) {
	tests := []struct {
		kind SymbolKind
		name string
		ok   bool
	}{
		{StageSymbol, "build", true},
		{StageSymbol, "build-2.x_y", true},
		{StageSymbol, "scratch", false},
		{StageSymbol, "2build", false},
		{StageSymbol, "", false},
		{StageSymbol, "a b", false},
		{ArgSymbol, "VERSION", true},
		{ArgSymbol, "_x1", true},
		{ArgSymbol, "1X", false},
		{ArgSymbol, "A-B", false},
		{EnvSymbol, "PATH", true},
		{EnvSymbol, "", false},
		{SymbolKind(0), "x", false},
	}
	for _, tt := range tests {
		if err := ValidName(tt.kind, tt.name); (err == nil) != tt.ok {
			t.Errorf("ValidName(%v, %q) = %v, want ok=%v", tt.kind, tt.name, err, tt.ok)
		}
	}
}
