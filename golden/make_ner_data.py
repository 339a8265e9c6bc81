"""The NER learnability set: golden/data/ner/{train,test}.conll (CoNLL-2003 layout, IOB2, PER/ORG/LOC).

Hand-written English sentence frames (below) filled with hand-picked names. The test set uses frames and
names the training set never sees, so a model must tag by context and by the shape of names, not by
memory. Deterministic (a fixed seed); pure Python, no venv needed:

    python3 golden/make_ner_data.py
"""
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent / "data" / "ner"
SEED = 2003

TRAIN_FRAMES = [
    "{PER} joined {ORG} as chief engineer last spring .",
    "The meeting in {LOC} was chaired by {PER} .",
    "{ORG} opened a new office in {LOC} on Monday .",
    "According to {PER} , the bridge in {LOC} will reopen in May .",
    "{PER} and {PER} met at the {ORG} headquarters .",
    "Shares of {ORG} fell sharply after the report .",
    "She grew up in {LOC} before moving to {LOC} .",
    "{PER} said the project had cost more than expected .",
    "A spokesman for {ORG} declined to comment .",
    "Heavy rain closed several roads around {LOC} .",
    "{PER} , who founded {ORG} , retired in 2019 .",
    "The festival drew thousands of visitors to {LOC} this weekend .",
    "Officials at {ORG} confirmed the deal on Friday .",
    "{PER} won the race in {LOC} by four seconds .",
    "Talks between {ORG} and {ORG} broke down late on Tuesday .",
    "My aunt lives near {LOC} with her two dogs .",
    "{PER} thanked the staff of {ORG} for their patience .",
    "The train from {LOC} to {LOC} was delayed by an hour .",
    "Last year {ORG} hired {PER} to lead its research team .",
    "Nobody expected {PER} to resign so soon .",
    "The museum in {LOC} has a famous collection of maps .",
    "{ORG} plans to cut prices across {LOC} next month .",
    "In an interview , {PER} described the plan as bold .",
    "Fans waited outside the stadium in {LOC} for hours .",
    "{PER} signed a two-year contract with {ORG} .",
    "The river that runs through {LOC} flooded again .",
    "Workers at {ORG} voted to accept the new offer .",
    "{PER} flew to {LOC} to visit her parents .",
    "The report was written by {PER} and reviewed by {PER} .",
    "Tourists often confuse {LOC} with {LOC} .",
    "{ORG} reported record profits for the third quarter .",
    "We drove through {LOC} on our way home .",
    "{PER} is expected to speak at the conference in {LOC} .",
    "The charity was started by {PER} in a small garage .",
    "A new school will be built on the edge of {LOC} .",
    "{ORG} and its partners will share the cost .",
    "Doctors said {PER} was in stable condition .",
    "The mayor of {LOC} promised more buses .",
    "{PER} has worked for {ORG} for over a decade .",
    "It was the coldest night in {LOC} for twenty years .",
]

TEST_FRAMES = [
    "{PER} will visit {LOC} next week .",
    "The board of {ORG} met in {LOC} yesterday .",
    "{PER} criticised {ORG} for the delay .",
    "Snow fell across {LOC} overnight .",
    "{ORG} has appointed {PER} as its new director .",
    "After the game , {PER} praised the crowd in {LOC} .",
    "Prices at {ORG} rose for the second month .",
    "{PER} moved from {LOC} to {LOC} in 2015 .",
    "Staff at {ORG} were told to work from home .",
    "The old castle above {LOC} attracts many walkers .",
    "{PER} and {PER} wrote the book together .",
    "Investors welcomed the news from {ORG} .",
]

TRAIN_NAMES = {
    "PER": ["Maria Lopez", "John Carter", "Aisha Khan", "Peter", "Elena Petrova", "David Okafor", "Sarah", "Tom Bradley",
            "Li Wei", "Anna Schmidt", "Carlos", "Grace Miller", "Omar Haddad", "Yuki Tanaka", "Robert Evans",
            "Fatima Noor", "James", "Sofia Rossi", "Hannah Clarke", "Miguel Santos"],
    "ORG": ["Acme Corporation", "the United Nations", "Greenfield Bank", "Northwind Airlines", "Oxford University",
            "the Red Cross", "Blue River Foods", "Siemens", "Apex Motors", "the World Health Organization",
            "Harbor Energy", "Summit Books", "Nokia", "Silverline Rail", "the Bank of England"],
    "LOC": ["Paris", "New York", "Nairobi", "Berlin", "the Alps", "Lisbon", "Tokyo", "Cape Town", "Lake Geneva",
            "Madrid", "Toronto", "Mumbai", "Oslo", "Rio de Janeiro", "Scotland", "Texas", "Cairo", "Vienna"],
}

TEST_NAMES = {
    "PER": ["Laura Bennett", "Ahmed Saleh", "Nina", "George Wilson", "Priya Sharma", "Ivan Novak", "Chloe Martin",
            "Kwame Mensah"],
    "ORG": ["Riverside Hospital", "Crestwood Insurance", "the European Space Agency", "Maple Telecom", "Orion Labs",
            "Eastgate Council"],
    "LOC": ["Dublin", "Buenos Aires", "Kyoto", "Lagos", "the Andes", "Melbourne", "Prague", "Chicago"],
}


def fill(frame: str, names: dict, rng: random.Random) -> list:
    """The sentence's (word, tag) pairs: a name's first word B-TYPE, the rest I-TYPE; a leading 'the' of an
    ORG or LOC name is O, as in CoNLL-2003."""
    out = []
    for piece in frame.split(" "):
        if piece.startswith("{") and piece.endswith("}"):
            kind = piece[1:-1]
            words = rng.choice(names[kind]).split(" ")
            if words[0] == "the":
                out.append(("the", "O"))
                words = words[1:]
            out += [(w, ("B-" if i == 0 else "I-") + kind) for i, w in enumerate(words)]
        else:
            out.append((piece, "O"))
    return out


def write(path: Path, sentences: list) -> None:
    lines = ["-DOCSTART- -X- -X- O", ""]
    for s in sentences:
        # CoNLL-2003's four columns: word, POS, chunk, NER (POS and chunk are not annotated here: "-").
        lines += [f"{w} - - {t}" for w, t in s] + [""]
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    rng = random.Random(SEED)
    OUT.mkdir(parents=True, exist_ok=True)
    train = [fill(f, TRAIN_NAMES, rng) for _ in range(5) for f in TRAIN_FRAMES]
    test = [fill(f, TEST_NAMES, rng) for _ in range(5) for f in TEST_FRAMES]
    rng.shuffle(train)
    write(OUT / "train.conll", train)
    write(OUT / "test.conll", test)
    print(f"{len(train)} training and {len(test)} test sentences in {OUT}")


if __name__ == "__main__":
    main()
