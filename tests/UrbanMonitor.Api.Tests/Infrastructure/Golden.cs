namespace UrbanMonitor.Api.Tests.Infrastructure;

/// <summary>
/// Golden files (tests/UrbanMonitor.Api.Tests/Golden/): outputs users consume, as readable text. A test compares its
/// output with the file; <c>UPDATE_GOLDEN=1</c> rewrites the files instead, for a reviewer to read the diff.
/// </summary>
public static class Golden
{
    public static string Directory => Path.Combine(Repo.Root, "tests", "UrbanMonitor.Api.Tests", "Golden");

    public static void Check(string name, string actual)
    {
        var path = Path.Combine(Directory, name);
        actual = actual.ReplaceLineEndings("\n");
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            System.IO.Directory.CreateDirectory(Directory);
            File.WriteAllText(path, actual);
            return;
        }
        Assert.True(File.Exists(path), $"Golden file {path} is missing: run the tests once with UPDATE_GOLDEN=1 and review it.");
        var expected = File.ReadAllText(path).ReplaceLineEndings("\n");
        if (expected != actual)
        {
            var e = expected.Split('\n');
            var a = actual.Split('\n');
            var line = Enumerable.Range(0, Math.Min(e.Length, a.Length)).FirstOrDefault(i => e[i] != a[i], Math.Min(e.Length, a.Length));
            Assert.Fail($"{name} differs from the golden file at line {line + 1}:\n expected: {(line < e.Length ? e[line] : "(end)")}\n actual:   {(line < a.Length ? a[line] : "(end)")}\nRun with UPDATE_GOLDEN=1 to accept the new output.");
        }
    }
}
