using UrbanMonitor.Domain.Text;

namespace UrbanMonitor.Domain.Tests;

public class TextRulesTests
{
    [Theory]
    [InlineData("Ahmad Shah Rahimi")]
    [InlineData("محمد‌علی احمدی")] // with a zero-width non-joiner, as Persian spelling writes it
    [InlineData("Zoë Müller-Łukasz")]
    [InlineData("👩‍🌾 Farmer")] // a surrogate pair and a zero-width joiner
    public void AcceptsNamesInAnyScript(string name) => Assert.Null(TextRules.Problem("name", name));

    [Theory]
    [InlineData("Ahmad\u0000Shah", "U+0000")]
    [InlineData("Ahmad\u0007", "U+0007")]
    [InlineData("Ahmad \u202Eevil\u202C", "U+202E")]
    [InlineData("Ahmad \u2067x\u2069", "U+2067")]
    [InlineData("Ah\u200Bmad", "U+200B")]
    [InlineData("\uFEFFAhmad", "U+FEFF")]
    [InlineData("Ahmad\uFFFF", "U+FFFF")]
    public void RefusesInvisibleControlAndBrokenCharactersNamingThem(string name, string codePoint)
    {
        var problem = TextRules.Problem("name", name);
        Assert.NotNull(problem);
        Assert.Contains(codePoint, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void RefusesHalfASurrogatePair() // built here: test runners' theory data cannot carry a lone surrogate
        => Assert.Contains("U+D800", TextRules.Problem("name", "Ahmad" + (char)0xD800 + "x"), StringComparison.Ordinal);

    [Fact]
    public void RefusesOverlongText() => Assert.Contains("at most 10", TextRules.Problem("name", new string('a', 11), 10), StringComparison.Ordinal);

    [Fact]
    public void MultilineFreeTextMayHoldLineBreaksAndTabsButNotOtherControlCharacters()
    {
        Assert.Null(TextRules.Problem("statement", "The wall moved.\r\nSee the plan:\tsheet 2", 4000, multiline: true));
        Assert.NotNull(TextRules.Problem("name", "Ahmad\nShah"));
        Assert.Contains("U+001B", TextRules.Problem("statement", "a\u001b[2J", 4000, multiline: true), StringComparison.Ordinal);
    }
}
