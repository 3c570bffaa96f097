using Agent.Core.Files;

namespace Agent.UnitTests.ContainerAccess;

public sealed class ContainerPathTests
{
    [Theory]
    [InlineData("/etc/hostname", "/etc/hostname")]
    [InlineData("etc/hostname", "/etc/hostname")]
    [InlineData("/", "/")]
    [InlineData("//etc///./hosts/", "/etc/hosts")]
    [InlineData("/a/b/../c", "/a/c")]
    [InlineData("/a/..", "/")]
    [InlineData("/a b/ü", "/a b/ü")]
    public void Paths_are_normalised_from_the_root(string text, string expected)
    {
        Assert.True(ContainerPath.TryParse(text, out var path, out var error), error);
        Assert.Equal(expected, path.Value);
    }

    [Theory]
    [InlineData("..")]
    [InlineData("../etc/passwd")]
    [InlineData("/tmp/../../etc/shadow")]
    [InlineData("/a/../../b")]
    public void Climbing_above_the_root_is_refused(string text)
    {
        Assert.False(ContainerPath.TryParse(text, out _, out var error));
        Assert.Contains("climbs above", error);
    }

    [Theory]
    [InlineData(null, "required")]
    [InlineData("", "required")]
    [InlineData("/etc/\0passwd", "control character")]
    [InlineData("/tmp/a\nb", "control character")]
    public void Empty_paths_and_control_characters_are_refused(string? text, string reason)
    {
        Assert.False(ContainerPath.TryParse(text, out _, out var error));
        Assert.Contains(reason, error);
    }

    [Fact]
    public void Very_long_paths_are_refused() =>
        Assert.False(ContainerPath.TryParse("/" + new string('a', ContainerPath.MaxLength), out _, out _));

    [Fact]
    public void Parent_name_and_child_walk_the_tree()
    {
        ContainerPath.TryParse("/srv/a/b", out var path, out _);
        Assert.Equal("b", path.Name);
        Assert.Equal("/srv/a", path.Parent!.Value);
        Assert.Equal("/srv", path.Parent.Parent!.Value);
        Assert.Equal("/", path.Parent.Parent.Parent!.Value);
        Assert.Null(path.Parent.Parent.Parent.Parent);
        Assert.Equal("/srv/a/b/c", path.Child("c").Value);
        ContainerPath.TryParse("/", out var root, out _);
        Assert.Equal("/x", root.Child("x").Value);
    }

    [Theory]
    [InlineData(null, 0x1A4)]
    [InlineData("0640", 0x1A0)]
    [InlineData("755", 0x1ED)]
    [InlineData("0o600", 0x180)]
    [InlineData("0", 0)]
    public void Modes_are_octal_permission_bits(string? text, int expected)
    {
        Assert.True(FileModes.TryParse(text, FileModes.DefaultFile, out var mode, out var error), error);
        Assert.Equal(expected, mode);
    }

    [Theory]
    [InlineData("4755", "setuid")]
    [InlineData("2755", "setuid")]
    [InlineData("1777", "setuid")]
    [InlineData("rwx", "octal")]
    [InlineData("0888", "octal")]
    [InlineData("07777", "octal")]
    public void Privilege_bits_and_non_octal_modes_are_refused(string text, string reason)
    {
        Assert.False(FileModes.TryParse(text, FileModes.DefaultFile, out _, out var error));
        Assert.Contains(reason, error);
    }

    [Fact]
    public void A_name_longer_than_255_bytes_is_refused_without_echoing_it_whole()
    {
        Assert.True(ContainerPath.TryParse("/tmp/" + new string('a', 255), out _, out _));
        Assert.False(ContainerPath.TryParse("/tmp/" + new string('a', 300), out _, out var error));
        Assert.Contains("300 bytes", error);
        Assert.Contains("file name too long", error);
        Assert.DoesNotContain(new string('a', 40), error);
        Assert.False(ContainerPath.TryParse("/tmp/" + string.Concat(Enumerable.Repeat("é", 128)), out _, out error)); // 256 bytes in UTF-8
        Assert.Contains("256 bytes", error);
        Assert.False(ContainerPath.TryParse("/../" + new string('b', 200), out _, out error));
        Assert.DoesNotContain(new string('b', 100), error);
    }

    [Fact]
    public void Modes_are_shown_as_four_octal_digits() => Assert.Equal("0640", FileModes.Format(0x1A0));
}
