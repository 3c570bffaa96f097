using Agent.Cli.Client;
using Agent.Core;
using Agent.Core.Manifests;

namespace Agent.UnitTests;

/// <summary>Control characters from manifests never reach a terminal raw: describe, events, validate and the log show
/// them escaped (probe-15d H9).</summary>
public sealed class TerminalTextTests
{
    private const string Hostile = "\u001b]0;PWNED-TITLE\u0007\u001b[2J\u001b[31mfake";

    [Fact]
    public void Control_characters_and_bidi_overrides_are_written_as_escapes_and_plain_text_is_kept()
    {
        Assert.Equal("\\u001b]0;PWNED-TITLE\\u0007\\u001b[2J\\u001b[31mfake", TerminalText.Escape(Hostile));
        Assert.Equal("a\\u009bb\\u007f\\u202ec\\u000d", TerminalText.Escape("a\u009bb\u007f\u202ec\r"));
        Assert.Equal("tab\there ünï ✓", TerminalText.Escape("tab\there ünï ✓"));
        Assert.Equal("one\ntwo\\u001b", TerminalText.Escape("one\ntwo\u001b", keepLineFeeds: true));
        Assert.Equal("one\\u000atwo", TerminalText.Escape("one\ntwo"));
    }

    [Fact]
    public void A_manifest_error_and_a_table_cell_show_the_escapes()
    {
        var error = new ManifestError("esc.yaml", 9, 7, $"spec.services[0].{Hostile}", "unknown field");
        Assert.Equal("esc.yaml:9:7: spec.services[0].\\u001b]0;PWNED-TITLE\\u0007\\u001b[2J\\u001b[31mfake: unknown field", error.ToString());
        var table = new Table("NAME", "MESSAGE").Add("g", Hostile);
        Assert.DoesNotContain('\u001b', table.Render());
        Assert.Contains("\\u001b[2J", table.Render());
    }
}
