"""Hand-written pieces of the tokenizer conformance corpus (golden/corpus/texts.jsonl).

Everything here is a literal so the corpus does not depend on the Unicode tables of the Python that
runs generate.py. Invisible and decomposed characters are written as escapes on purpose.
Only code points assigned in Unicode 14.0 or earlier are used (plus U+E000 private use and the
noncharacter U+FFFF), so Python 3.11's unicodedata (Unicode 14.0) and newer tables agree on them.
"""

# --- English written for this corpus ------------------------------------------------------------
ENGLISH = [
    "PyTorch is a great framework for NLP",
    "The quick brown fox jumps over the lazy dog.",
    "Hello, world!",
    "I can't believe it's already Friday; where did the week go?",
    "She sells sea shells by the sea shore.",
    "The meeting was moved to 3:30 p.m. on Tuesday, March 4th.",
    "Don't split contractions like \"won't\" and \"they're\" by hand.",
    "Tokenizers turn raw text into integer ids that a model can embed.",
    "BERT uses WordPiece: unknown words are broken into sub-word pieces.",
    "A sentence embedding is the mean of the token vectors, normalized to unit length.",
    "The unaffable clerk rejected the form twice.",
    "Running, runner, runs and ran all share a stem.",
    "It was the best of times, it was the worst of times.",
    "Call me Ishmael.",
    "To be, or not to be, that is the question.",
    "Why did the chicken cross the road? To get to the other side!",
    "Mr. and Mrs. Dursley, of number four, Privet Drive, were proud to say that they were perfectly normal.",
    "The year 2024 had 366 days.",
    "Email me at someone@example.com before 5pm.",
    "Visit https://huggingface.co/docs for the documentation.",
    "Attention masks stop padded tokens from being attended to.",
    "Layer normalization rescales each vector to zero mean and unit variance.",
    "GELU is smooth; ReLU is not.",
    "The cat sat on the mat.",
    "A well-known, state-of-the-art, off-the-shelf model.",
    "He said: 'Well... I guess so?!'",
    "(Parentheses), [brackets], {braces} and <angle brackets>.",
    "50% off -- today only!!!",
    "#hashtag @mention $TICKER ^caret ~tilde `backtick` |pipe| \\backslash",
    "Semi-colons; colons: commas, periods. Question marks? Exclamation points!",
    "UPPERCASE lowercase MiXeD cAsE",
    "The U.S.A. and the U.K. signed the agreement in 1945.",
    "Its 5'11\" tall and weighs 180 lbs.",
    "The function returns None if the key is missing.",
    "Machine learning models require large amounts of data.",
    "Natural language processing is a subfield of artificial intelligence.",
    "Please reply ASAP, thanks!",
    "We'll meet at the caf\u00e9 near the station.",
    "The r\u00e9sum\u00e9 listed five years of experience.",
    "A na\u00efve approach often works surprisingly well.",
    "Stock markets fell sharply on Monday after the announcement.",
    "The team won the championship for the third year in a row.",
    "Scientists discovered a new species of frog in the rainforest.",
    "The recipe calls for 2\u00bd cups of flour and 1 tsp of salt.",
    "Temperatures reached 40\u00b0C in the afternoon.",
    "OK",
    "a",
    "I",
    "Yes.",
    "No!",
]

# --- Other scripts -----------------------------------------------------------------------------
CHINESE = [
    "\u6211\u7231\u81ea\u7136\u8bed\u8a00\u5904\u7406\u3002",  # 我爱自然语言处理。
    "\u4eca\u5929\u5929\u6c14\u5f88\u597d\uff0c\u6211\u4eec\u53bb\u516c\u56ed\u6563\u6b65\u5427\uff01",
    "\u5317\u4eac\u662f\u4e2d\u534e\u4eba\u6c11\u5171\u548c\u56fd\u7684\u9996\u90fd\u3002",
    "\u673a\u5668\u5b66\u4e60\u6a21\u578b\u9700\u8981\u5927\u91cf\u7684\u6570\u636e\u3002",
    "\u8fd9\u4e2a\u53e5\u5b50\u5305\u542b\u6570\u5b57123\u548cEnglish\u5355\u8bcd\u3002",
    "\u81fa\u7063\u7684\u7e41\u9ad4\u5b57\u8207\u7c21\u9ad4\u5b57\u4e0d\u540c\u3002",  # traditional
    "\u300a\u7ea2\u697c\u68a6\u300b\u662f\u4e2d\u56fd\u53e4\u5178\u5c0f\u8bf4\u3002",
    "\u4ed6\u8bf4\uff1a\u201c\u4f60\u597d\uff01\u201d",
]
JAPANESE = [
    "\u79c1\u306f\u65e5\u672c\u8a9e\u3092\u52c9\u5f37\u3057\u3066\u3044\u307e\u3059\u3002",
    "\u6771\u4eac\u30bf\u30ef\u30fc\u306f\u9ad8\u3055333\u30e1\u30fc\u30c8\u30eb\u3067\u3059\u3002",
    "\u30ab\u30bf\u30ab\u30ca\u3068\u3072\u3089\u304c\u306a\u304c\u6df7\u3056\u3063\u305f\u6587\u7ae0\u3067\u3059\u3002",
    "\uff76\uff80\uff76\uff85\u534a\u89d2\u3082\u3042\u308a\u307e\u3059\u3002",  # halfwidth katakana
    "\u3059\u3057\u304c\u597d\u304d\u3067\u3059\u304b\uff1f",
    "\u30b3\u30fc\u30d2\u30fc\u3092\u98f2\u307f\u307e\u3057\u3087\u3046\u3002",
    "\u304b\u3099\u304d\u3099",  # ga gi with combining dakuten (NFC composes)
]
KOREAN = [
    "\uc548\ub155\ud558\uc138\uc694, \ub9cc\ub098\uc11c \ubc18\uac11\uc2b5\ub2c8\ub2e4.",
    "\ud55c\uad6d\uc5b4 \ubb38\uc7a5\uc740 \ub744\uc5b4\uc4f0\uae30\ub97c \uc0ac\uc6a9\ud569\ub2c8\ub2e4.",
    "\uc11c\uc6b8\uc758 \uc778\uad6c\ub294 \uc57d \ucc9c\ub9cc \uba85\uc785\ub2c8\ub2e4.",
    "\u1112\u1161\u11ab\u1100\u1173\u11af",  # 한글 as conjoining jamo (NFC composes)
    "\u314e\u314f\u3134 \u3131\u3161\u3139",  # compatibility jamo
    "\ud55c\uae00",
]
ARABIC = [
    "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645",
    "\u0627\u0644\u0644\u063a\u0629 \u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u062a\u0643\u062a\u0628 \u0645\u0646 \u0627\u0644\u064a\u0645\u064a\u0646 \u0625\u0644\u0649 \u0627\u0644\u064a\u0633\u0627\u0631.",
    "\u0643\u064e\u062a\u064e\u0628\u064e \u0627\u0644\u0648\u064e\u0644\u064e\u062f\u064f \u0627\u0644\u062f\u064e\u0651\u0631\u0652\u0633\u064e",  # with harakat
    "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669",  # Arabic-Indic digits
    "\u0647\u0644 \u062a\u062a\u0643\u0644\u0645 \u0627\u0644\u0639\u0631\u0628\u064a\u0629\u061f",  # Arabic question mark
]
CYRILLIC = [
    "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440!",
    "\u041c\u043e\u0441\u043a\u0432\u0430 \u2014 \u0441\u0442\u043e\u043b\u0438\u0446\u0430 \u0420\u043e\u0441\u0441\u0438\u0438.",
    "\u0401\u0436\u0438\u043a \u0432 \u0442\u0443\u043c\u0430\u043d\u0435",
    "\u0421\u043b\u0430\u0432\u0430 \u0423\u043a\u0440\u0430\u0457\u043d\u0456, \u0491\u0430\u043d\u043e\u043a, \u0457\u0436\u0430\u043a.",
    "\u0419\u043e\u0433\u0443\u0440\u0442 \u0438 \u0438\u0306",  # й precomposed and decomposed
    "\u0411\u042b\u0421\u0422\u0420\u041e \u0438 \u043c\u0435\u0434\u043b\u0435\u043d\u043d\u043e",
]
GREEK = [
    "\u039a\u03b1\u03bb\u03b7\u03bc\u03ad\u03c1\u03b1 \u03ba\u03cc\u03c3\u03bc\u03b5!",
    "\u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a5\u03a3",  # final sigma when lowercased
    "\u0397 \u03b3\u03bb\u03ce\u03c3\u03c3\u03b1 \u03b5\u03af\u03bd\u03b1\u03b9 \u03b5\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ae.",
    "\u0390 \u03b9\u0308\u0301 \u03b0",
    "\u0391\u0398\u0397\u039d\u0391 \u03a3\u03a3 \u03a3",
    "\u03b1\u03b2\u03b3; \u03b4\u03b5\u03b6\u0387",  # Greek question mark is U+037E -> NFC ';'
    "\u03b1\u037e \u03b2",
]
DEVANAGARI = [
    "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e",
    "\u0939\u093f\u0928\u094d\u0926\u0940 \u092d\u093e\u0937\u093e \u0926\u0947\u0935\u0928\u093e\u0917\u0930\u0940 \u0932\u093f\u092a\u093f \u092e\u0947\u0902 \u0932\u093f\u0916\u0940 \u091c\u093e\u0924\u0940 \u0939\u0948\u0964",
    "\u0967\u0968\u0969 \u0915\u093f\u0924\u093e\u092c\u0947\u0902",
    "\u0915\u094d\u200d\u0937 \u0915\u094d\u200c\u0937",  # ZWJ/ZWNJ inside conjuncts
]
THAI = [
    "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35\u0e04\u0e23\u0e31\u0e1a",
    "\u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22\u0e44\u0e21\u0e48\u0e21\u0e35\u0e01\u0e32\u0e23\u0e40\u0e27\u0e49\u0e19\u0e27\u0e23\u0e23\u0e04\u0e23\u0e30\u0e2b\u0e27\u0e48\u0e32\u0e07\u0e04\u0e33",
    "\u0e51\u0e52\u0e53 \u0e1a\u0e32\u0e17",
]
HEBREW = [
    "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd",
    "\u05e2\u05b4\u05d1\u05b0\u05e8\u05b4\u05d9\u05ea \u05e2\u05dd \u05e0\u05d9\u05e7\u05d5\u05d3",  # niqqud
    "\u05de\u05d4 \u05e9\u05dc\u05d5\u05de\u05da? \u05d8\u05d5\u05d1, \u05ea\u05d5\u05d3\u05d4.",
]
OTHER_SCRIPTS = [
    "\u10d2\u10d0\u10db\u10d0\u10e0\u10ef\u10dd\u10d1\u10d0 \u1c92\u1c90\u1c9b\u1c90\u1ca0\u1caf\u1c9d\u1c91\u1c90",  # Georgian + Mtavruli
    "\u0532\u0561\u0580\u0587 \u0587",  # Armenian with ech-yiwn ligature
    "\u13a0\u13a1\u13a2 \uab70\uab71",  # Cherokee upper and lower
    "\u1780\u17d2\u1798\u17c2\u179a",  # Khmer
    "\u0b9a\u0bc6\u0ba9\u0bcd\u0ba9\u0bc8",  # Tamil
    "\u12a0\u121b\u122d\u129b",  # Ethiopic
    "\u0f56\u0f7c\u0f51\u0f0b\u0f66\u0f90\u0f51\u0f0d",  # Tibetan with tsheg
]

# --- Accents, combining marks, case oddities --------------------------------------------------
ACCENTS = [
    "caf\u00e9 cafe\u0301",
    "na\u00efve nai\u0308ve",
    "\u00c5ngstr\u00f6m A\u030angstro\u0308m \u212bngstr\u00f6m",  # precomposed, decomposed, ANGSTROM SIGN
    "Cr\u00e8me br\u00fbl\u00e9e",
    "r\u00e9sum\u00e9 re\u0301sume\u0301",
    "Zo\u00eb S\u00e3o Paulo \u0152uvre",
    "\ufb01 \ufb02 \ufb03 ligatures",
    "Stra\u00dfe STRASSE \u1e9e",
    "\u0130stanbul \u0131\u015f\u0131k",  # dotted capital I, dotless i
    "\u01c5ungla \u01c4 \u01c6",  # titlecase digraph
    "\u212a\u00e9lvin \u2126hm",  # KELVIN SIGN, OHM SIGN (NFC maps them)
    "a\u0300\u0301\u0302\u0303\u0304 stacked",
    "\u0301leading combining",
    " \u0301 lone mark after space",
    "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f\u031e\u0320\u034dA\u0334\u0335\u031c\u0330\u0354\u036b\u0357\u0362L\u0320\u0368\u0367\u0369\u0358G\u0334\u033b\u0348\u034d\u0354\u0339\u0311\u0357\u030e\u0305\u035b\u0301O",
    "\u00c0\u00c1\u00c2\u00c3\u00c4\u00c5\u00c6\u00c7\u00c8\u00c9\u00ca\u00cb \u00e0\u00e1\u00e2\u00e3\u00e4\u00e5\u00e6\u00e7",
    "\u1ec7 \u1ebf \u01b0\u1edd Vi\u1ec7t Nam",
    "\u017d\u00e1\u010dek \u0159\u00ed\u010d\u0148\u011b \u0142\u00f3d\u017a",
    "e\u0301\u0301 double acute",
    "o\u0328\u0301 ogonek and acute",
    "\u24b6\u24b7\u24b8 \u24d0\u24d1",  # circled letters
    "\uff21\uff22\uff23\uff11\uff12\uff13\uff01",  # fullwidth
    "\uff48\uff45\uff4c\uff4c\uff4f\u3000\uff57\uff4f\uff52\uff4c\uff44",
    "\u1d2c\u1d2e\u1d30 \u00b2\u00b3\u00b9 \u2070\u2071",
]

# --- Emoji -----------------------------------------------------------------------------------
EMOJI = [
    "I love \U0001f355 and \U0001f363!",
    "\U0001f44d\U0001f3fd great job",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 family",
    "\U0001f3f3\ufe0f\u200d\U0001f308 flag",
    "\U0001f1ef\U0001f1f5\U0001f1fa\U0001f1f8\U0001f1e9\U0001f1ea",
    "\u2764\ufe0f \u2764",
    "1\ufe0f\u20e3 #\ufe0f\u20e3 keycaps",
    "\U0001f9d1\U0001f3ff\u200d\U0001f4bb coder",
    "\U0001f600\U0001f603\U0001f604\U0001f601",
    "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f England",
    "smile\U0001f642wink\U0001f609",
    "\u263a \u2603 \u2600\ufe0f \u2705 \u274c",
    "\U0001f44b\U0001f3fb\U0001f44b\U0001f3fc\U0001f44b\U0001f3fd\U0001f44b\U0001f3fe\U0001f44b\U0001f3ff",
]

# --- Whitespace, control and invisible characters ---------------------------------------------
CONTROL = [
    "a\u0000b",
    "tab\there\tand\tthere",
    "line1\r\nline2\r\nline3",
    "line1\nline2",
    "carriage\rreturn",
    "bell\u0007 and backspace\u0008",
    "\u001b[31mred\u001b[0m",
    "del\u007fete",
    "next\u0085line",
    "soft\u00adhyphen",
    "zero\u200bwidth space",
    "zw\u200cnj and zw\u200dj",
    "\ufeffbyte order mark",
    "word\u2028line separator\u2029paragraph",
    "word\u2060joiner",
    "rtl\u200fmark \u202ereversed\u202c",
    "replacement \ufffd char \ufffd\ufffd",
    "private\ue000use",
    "non\uffffcharacter",
    "non\u00a0breaking\u00a0space",
    "thin\u2009space narrow\u202fnbsp ideographic\u3000space",
    "em\u2003space en\u2002space hair\u200aspace",
    "form\u000cfeed vertical\u000btab",
    "unit\u001fsep record\u001esep",
    "\u0000\u0000\u0000",
    "\u00a0\u00a0 surrounded \u00a0",
    "\u180emongolian vowel separator",
    "ogham\u1680space mark",
]
WHITESPACE_ONLY = [
    "",
    " ",
    "   ",
    "\t",
    "\n",
    "\r\n",
    "\u00a0",
    "\u3000",
    " \t \n ",
    "\u200b",
    "\u0000",
    "\ufffd",
    "\u2028",
    "\u2009\u202f\u205f",
]

# --- Special-token strings ---------------------------------------------------------------------
SPECIAL = [
    "[CLS] hello [SEP]",
    "x[MASK]y",
    "[cls] lowercase is not special",
    "[ CLS ] spaced out",
    "[CLS][SEP][PAD][UNK][MASK]",
    "The capital of France is [MASK].",
    "[UNK]",
    "[unused0] [unused1]",
    "[CLS",
    "SEP]",
    "[[MASK]]",
    "a [SEP] b [SEP] c",
    "[MASK]ed language modeling",
    "##ing ##s",
    "## hash hash",
]

# --- URLs, e-mail, numbers, code --------------------------------------------------------------
URLS = [
    "https://example.com/path/to/page?query=1&b=two#fragment",
    "http://www.b\u00fccher.de/kategorie",
    "ftp://user:pass@host.example:21/file.txt",
    "john.doe+tag@example.co.uk",
    "mailto:info@example.org?subject=Hi%20there",
    "\u7528\u6237@\u4f8b\u5b50.\u5e7f\u544a",
    "www.example.com/~user/index.html",
    "https://en.wikipedia.org/wiki/BERT_(language_model)",
    "192.168.0.1:8080 and [2001:db8::1]:443",
]
NUMBERS = [
    "1,234,567.89",
    "3.14159265358979",
    "1 000 000",
    "1.000.000,00 \u20ac",
    "\u221242 and -42",
    "+1 (555) 123-4567",
    "10^9 = 1e9 = 1E+9",
    "50% 0.5 .5 5.",
    "0x1F 0b1010 0o17",
    "\u00bd \u00bc \u00be \u2153",
    "\u2160 \u2161 \u216b",
    "\u0663\u0664 \u0967\u0968 \u0e53",
    "12'345.67",
    "2023-10-05T14:48:00Z",
    "v1.2.3-beta+build.5",
    "007",
    "99.999%",
    "$1,000.00",
]
CODE = [
    "def f(x): return x**2",
    "for (int i = 0; i < n; ++i) { sum += a[i]; }",
    "SELECT * FROM users WHERE id = 42;",
    "<div class=\"x\">Hi</div>",
    "$ rm -rf /tmp/*",
    "print(\"h\u00e9llo\")",
    "\u03bbx. x + 1",
    "a && b || !c",
    "let x: [Int] = []",
    "import torch; torch.set_num_threads(1)",
    "if (a != b) { return -1; } else { return 0; }",
    "#include <stdio.h>",
    "x = {'a': 1, \"b\": [2, 3]}",
    "C:\\Users\\name\\file.txt",
    "/usr/local/bin/python3",
    "git commit -m \"fix: bug #123\"",
    "x+=1;y-=2;z*=3",
    "@decorator\ndef g(): pass",
]
MIXED_CASE = [
    "iPhone McDonald's eBay NASA",
    "PyTorch JavaScript HTTPServer",
    "camelCaseWord snake_case_word SCREAMING_CASE kebab-case-word",
    "ThIs Is SpOnGeBoB cAsE",
    "GPU CPU TPU RAM",
    "O'Reilly d'Artagnan",
]

# --- Math and currency -------------------------------------------------------------------------
MATH = [
    "\u2200x \u2208 \u211d: x\u00b2 \u2265 0",
    "\u2211\u1d62 a\u1d62 = \u222b f(x) dx",
    "a \u2264 b \u2260 c \u2248 d",
    "\u221a2 \u00d7 \u03c0 \u00f7 \u221e",
    "\u2202f/\u2202x",
    "\U0001d538\U0001d539\u2102 \U0001d400\U0001d401\U0001d402",
    "A \u2282 B \u222a C \u2229 D",
    "\u00b1 \u2213 \u2234 \u2235",
    "f: \u2115 \u2192 \u2124",
    "e^{i\u03c0} + 1 = 0",
]
CURRENCY = [
    "$100 \u20ac50 \u00a320 \u00a51000",
    "\u20b9500 \u20a910000 \u20bf0.5",
    "\u00a2 \u20bd \u20ba \u20aa \u0e3f",
    "Price: \u20ac1.234,56 (incl. VAT)",
    "USD/EUR 0.92",
]

# --- CJK ranges: the boundaries of BertTokenizer's "Chinese character" test ----------------------
# Python (transformers) counts U+2B820..U+2CEAF as CJK; the Rust tokenizers crate starts at U+2B920.
CJK_BOUNDARY_CODEPOINTS = [
    0x33FF, 0x3400, 0x4DB5, 0x4DBF, 0x4DC0, 0x4E00, 0x9FA5, 0x9FFF, 0xA000,
    0xF900, 0xFA2D, 0xFAD9, 0xFB00,
    0x20000, 0x2A6D6, 0x2A6DF, 0x2A700, 0x2B734, 0x2B740, 0x2B81D,
    0x2B820, 0x2B821, 0x2B8FF, 0x2B91F, 0x2B920, 0x2B921, 0x2CEA1,
    0x2CEB0, 0x2EBE0, 0x2F800, 0x2FA1D,
]

# --- Fragments for the random mixer --------------------------------------------------------------
MIX_FRAGMENTS = [
    "[CLS]", "[SEP]", "[MASK]", "[PAD]", "[UNK]", "[cls]",
    "\U0001f600", "\U0001f44d\U0001f3fd", "\U0001f468\u200d\U0001f469\u200d\U0001f467", "\U0001f1ef\U0001f1f5",
    "\u2764\ufe0f", "\u00e9", "e\u0301", "\u00fc", "u\u0308", "\u00f1", "\u00c7", "\u0130", "\u00df",
    "\u4e2d", "\u6587", "\u5b57", "\u3042", "\u30a2", "\ud55c", "\u1112\u1161\u11ab",
    "\u0627\u0644", "\u043c\u0438\u0440", "\u03a3", "\u0928\u092e", "\u0e44\u0e17\u0e22", "\u05e9\u05dc",
    "\uff21", "\uff41", "\uff01", "\u3000", "\u00a0", "\u200b", "\u200d", "\u00ad", "\ufeff",
    "\u0000", "\ufffd", "\t", "\r\n", "\n", "\u0007", "\u2028",
    "...", "!", "?", ",", ";", ":", "-", "\u2014", "\u2013", "'", "\"", "(", ")", "[", "]", "{", "}",
    "\u00bf", "\u00a1", "\u00ab", "\u00bb", "\u201c", "\u201d", "\u3001", "\u3002", "\u060c", "\u0964",
    "$", "\u20ac", "%", "&", "@", "#", "*", "+", "=", "<", ">", "/", "\\", "|", "~", "^", "`", "_",
    "0", "1", "42", "3.14", "1,000", "\u00bd", "\u00b2", "\u0663",
    "https://x.io", "a@b.co", "\u2211", "\u221e", "\u2260",
    "\U0002b820", "\U0002b91f", "\U0002b920", "\U00020000", "\uf900", "\U0002f800",
]
