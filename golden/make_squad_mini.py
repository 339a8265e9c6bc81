"""golden/data/squad-mini: a small SQuAD-format set written for bertkit's question-answering tests.

    python3 golden/make_squad_mini.py
    # writes golden/data/squad-mini/train.json (SQuAD v1.1 JSON) and dev.jsonl (HF datasets' JSONL)

The paragraphs are the project's own prose about invented places, people and machines (so no model has
seen them), each with four or five questions whose answers are spans of it: dates, names, places,
numbers and short phrases. `answer_start` is found here by searching the context (the script asserts
each answer text occurs exactly once, or names which occurrence), so every answer matches its text.
The dev paragraphs are not in the training set. Plain Python, no packages; deterministic output.
"""
import json
from pathlib import Path

OUT = Path(__file__).resolve().parent / "data/squad-mini"

# (title, context, [(question, answer), ...])
TRAIN = [
    ("Harwick Canal", "The Harwick Canal was begun in 1791 by a company of mill owners. Its engineer, Thomas Greaves, planned a route of twenty-two miles with four locks at Sallow Bank. The canal opened on 14 May 1797.",
     [("When was the Harwick Canal begun?", "1791"), ("Who was the engineer of the canal?", "Thomas Greaves"),
      ("How many locks did the route have?", "four"), ("Where were the locks?", "Sallow Bank"), ("When did the canal open?", "14 May 1797")]),
    ("Orla Bridge", "The Orla Bridge crosses the river Tane at Mellick. It was designed by the engineer Ruth Calloway and finished in 1932. The bridge is 410 metres long and carries both a railway and a road.",
     [("Which river does the Orla Bridge cross?", "Tane"), ("Who designed the Orla Bridge?", "Ruth Calloway"),
      ("When was the bridge finished?", "1932"), ("How long is the bridge?", "410 metres")]),
    ("Fenwick Observatory", "Fenwick Observatory stands on Carrow Hill, north of the town of Dunmere. Its largest telescope, a refractor with a lens of 28 inches, was installed in 1896. The astronomer Edith Marsh discovered three comets there.",
     [("Where does Fenwick Observatory stand?", "Carrow Hill"), ("When was the largest telescope installed?", "1896"),
      ("Who discovered comets at the observatory?", "Edith Marsh"), ("How many comets did she discover?", "three")]),
    ("Kestrel locomotive", "The Kestrel was a steam locomotive built at the Pelham works in 1869. It pulled the night mail between Ashby and Corran for forty years. Its designer, Samuel Oakes, later became chief engineer of the line.",
     [("When was the Kestrel built?", "1869"), ("Where was the Kestrel built?", "the Pelham works"),
      ("Who designed the Kestrel?", "Samuel Oakes"), ("For how long did it pull the night mail?", "forty years")]),
    ("Lake Arvel", "Lake Arvel lies in a valley of the Brenn mountains. It is eleven kilometres long and up to 96 metres deep. The village of Tollin, on its eastern shore, is known for smoked trout.",
     [("Where does Lake Arvel lie?", "in a valley of the Brenn mountains"), ("How long is Lake Arvel?", "eleven kilometres"),
      ("Which village is on the eastern shore?", "Tollin"), ("What is Tollin known for?", "smoked trout")]),
    ("Marlow Library", "The Marlow Library was founded in 1854 by the printer James Hollis. It holds about 60,000 books, among them a rare atlas from 1610. The reading room was rebuilt after a fire in 1921.",
     [("When was the Marlow Library founded?", "1854"), ("Who founded the library?", "James Hollis"),
      ("How many books does it hold?", "about 60,000"), ("When was the reading room rebuilt?", "after a fire in 1921")]),
    ("Sera windmill", "The Sera windmill was built in 1742 on the marshes near Holt. It ground wheat and barley for the farms of the parish until 1924. The miller Abel Wren kept a diary of every storm it survived.",
     [("When was the Sera windmill built?", "1742"), ("Where was the windmill built?", "on the marshes near Holt"),
      ("What did the windmill grind?", "wheat and barley"), ("Who kept a diary of the storms?", "Abel Wren")]),
    ("Corbin Bell", "The Corbin Bell hangs in the tower of Saint Aldo's church in Varrow. It was cast in 1588 and weighs nearly three tonnes. The bell cracked in 1860 and was recast by the founder Henry Pike.",
     [("Where does the Corbin Bell hang?", "in the tower of Saint Aldo's church in Varrow"), ("When was the bell cast?", "1588"),
      ("How much does the bell weigh?", "nearly three tonnes"), ("Who recast the bell?", "Henry Pike")]),
    ("Nadia Storm", "Nadia Storm was a pilot who flew alone from Lisbon to Recife in 1934. The flight took nineteen hours. She later trained more than two hundred pilots at her school in Cardell.",
     [("Who flew alone from Lisbon to Recife?", "Nadia Storm"), ("When was the flight?", "1934"),
      ("How long did the flight take?", "nineteen hours"), ("Where was her school?", "Cardell")]),
    ("Vell Island", "Vell Island lies nine miles off the western coast. About 300 people live there, most of them in the harbour town of Skerry. A ferry from Port Alden reaches the island twice a day.",
     [("How far off the coast is Vell Island?", "nine miles"), ("How many people live on the island?", "About 300"),
      ("What is the harbour town called?", "Skerry"), ("Where does the ferry come from?", "Port Alden"), ("How often does the ferry arrive?", "twice a day")]),
    ("Greaves clock", "The great clock of Dunmere town hall was made by the clockmaker Lydia Greaves in 1811. Its dial is four metres across. The clock is wound by hand every Sunday morning.",
     [("Who made the great clock?", "Lydia Greaves"), ("When was the clock made?", "1811"),
      ("How wide is the dial?", "four metres"), ("When is the clock wound?", "every Sunday morning")]),
    ("Parrin dam", "The Parrin dam was completed in 1958 to supply water to the city of Oswy. It is 85 metres high. Building it flooded the old village of Lenn, whose church spire can still be seen in dry summers.",
     [("When was the Parrin dam completed?", "1958"), ("Which city does the dam supply?", "Oswy"),
      ("How high is the dam?", "85 metres"), ("Which village was flooded?", "Lenn")]),
    ("Thomas Vane", "Thomas Vane was a botanist born in Kelby in 1802. He collected over four thousand plants on a voyage to the southern islands. His herbarium is kept at the university of Marsh.",
     [("Who was the botanist born in Kelby?", "Thomas Vane"), ("When was Thomas Vane born?", "1802"),
      ("How many plants did he collect?", "over four thousand"), ("Where is his herbarium kept?", "at the university of Marsh")]),
    ("Ambry tunnel", "The Ambry tunnel carries the railway under the Callow hills. It is 3.2 kilometres long and took six years to dig. Ninety men worked on it at a time, lit by candles.",
     [("What does the Ambry tunnel carry?", "the railway"), ("How long is the tunnel?", "3.2 kilometres"),
      ("How long did it take to dig?", "six years"), ("How many men worked on it at a time?", "Ninety")]),
    ("Ostrel market", "Ostrel has held a market every Thursday since 1302. Farmers bring cheese, wool and apples from the valleys around it. The market hall, with its stone arches, was built by the guild of weavers.",
     [("When does Ostrel hold its market?", "every Thursday"), ("Since when has the market been held?", "1302"),
      ("What do farmers bring?", "cheese, wool and apples"), ("Who built the market hall?", "the guild of weavers")]),
    ("Mina Farrow", "Mina Farrow wrote eleven novels about life in the mining towns of the north. Her first book, The Grey Seam, appeared in 1947. She lived for most of her life in the town of Brack.",
     [("Who wrote novels about the mining towns?", "Mina Farrow"), ("How many novels did she write?", "eleven"),
      ("What was her first book?", "The Grey Seam"), ("When did her first book appear?", "1947"), ("Where did she live?", "Brack")]),
    ("Hollin lighthouse", "Hollin lighthouse was lit for the first time in 1823. Its lamp could be seen twenty miles out to sea. The keeper, Walter Dunn, rescued the crew of a wrecked schooner in 1851.",
     [("When was Hollin lighthouse first lit?", "1823"), ("How far out could its lamp be seen?", "twenty miles"),
      ("Who was the keeper?", "Walter Dunn"), ("When did the keeper rescue the crew?", "1851")]),
    ("Carsey school", "Carsey school opened in 1879 with forty pupils and one teacher. The teacher, Agnes Bell, taught there for thirty-one years. Today the old schoolroom is a museum of village life.",
     [("When did Carsey school open?", "1879"), ("How many pupils did it open with?", "forty"),
      ("Who was the teacher?", "Agnes Bell"), ("What is the old schoolroom today?", "a museum of village life")]),
    ("Drayne copper", "Copper was mined at Drayne from Roman times until 1912. At its peak the mine employed 1,400 workers. The ore was carried by cart to the smelter at Penhallow.",
     [("What was mined at Drayne?", "Copper"), ("Until when was it mined?", "1912"),
      ("How many workers did the mine employ at its peak?", "1,400"), ("Where was the smelter?", "Penhallow")]),
    ("Rook Hall", "Rook Hall is a manor house built of red brick in 1620. It was the home of the Ashcombe family for three centuries. The gardens were laid out by the designer Clara Fenn.",
     [("What is Rook Hall built of?", "red brick"), ("When was Rook Hall built?", "1620"),
      ("Whose home was it?", "the Ashcombe family"), ("Who laid out the gardens?", "Clara Fenn")]),
    ("Brenn railway", "The Brenn mountain railway climbs 1,100 metres from Tollin to the summit station. It opened in 1899 and uses a toothed rack between the rails. A journey takes fifty minutes.",
     [("How far does the railway climb?", "1,100 metres"), ("Where does the railway start?", "Tollin"),
      ("When did the railway open?", "1899"), ("How long does a journey take?", "fifty minutes")]),
    ("Pell glassworks", "The Pell glassworks at Crane Street made bottles and window glass. It was founded in 1766 by Josiah Pell. At its largest it had five furnaces.",
     [("What did the Pell glassworks make?", "bottles and window glass"), ("When was it founded?", "1766"),
      ("Who founded the glassworks?", "Josiah Pell"), ("How many furnaces did it have at its largest?", "five")]),
    ("Ivo Sand", "Ivo Sand was a chess player from Mellick who became national champion at the age of nineteen. He won the title seven times. In 1962 he played a famous drawn game against the champion of Varrow.",
     [("Where was Ivo Sand from?", "Mellick"), ("At what age did he become champion?", "nineteen"),
      ("How many times did he win the title?", "seven times"), ("When did he play the famous drawn game?", "1962")]),
    ("Ferris fountain", "The Ferris fountain stands in the middle of Market Square in Oswy. It was a gift from the merchant George Ferris in 1887. Its bronze figures show the four seasons.",
     [("Where does the Ferris fountain stand?", "in the middle of Market Square in Oswy"), ("Who gave the fountain?", "George Ferris"),
      ("When was the fountain given?", "1887"), ("What do its bronze figures show?", "the four seasons")]),
    ("Salt road", "The old salt road ran from the pans at Brinemouth to the inland town of Hathel. Packhorses carried the salt in leather bags. The journey of sixty miles took four days.",
     [("Where did the salt road start?", "the pans at Brinemouth"), ("Which town did it reach?", "Hathel"),
      ("What carried the salt?", "Packhorses"), ("How long did the journey take?", "four days")]),
    ("Willa Orme", "Willa Orme was a painter of seascapes who worked in the harbour town of Skerry. She painted more than five hundred pictures of boats and waves. Her studio is now owned by the island trust.",
     [("What did Willa Orme paint?", "seascapes"), ("Where did she work?", "the harbour town of Skerry"),
      ("How many pictures did she paint?", "more than five hundred"), ("Who owns her studio now?", "the island trust")]),
    ("Tarn mill", "Tarn mill spun cotton on the banks of the river Lune from 1810. A water wheel of eight metres drove its machines. The mill closed in 1959 and is now a hotel.",
     [("What did Tarn mill spin?", "cotton"), ("On which river's banks was it?", "Lune"),
      ("How big was the water wheel?", "eight metres"), ("When did the mill close?", "1959"), ("What is the mill now?", "a hotel")]),
    ("Gannet", "The Gannet was a lifeboat stationed at Hollin from 1902 to 1936. Her crew of twelve rowed out in every weather. She saved 214 lives in thirty-four years of service.",
     [("Where was the Gannet stationed?", "Hollin"), ("How big was her crew?", "twelve"),
      ("How many lives did she save?", "214"), ("Until when was she stationed there?", "1936")]),
]

DEV = [
    ("Kelby abbey", "Kelby abbey was founded by monks from the south in 1132. Its library once held four hundred manuscripts. The abbey was abandoned in 1539, and its stones were used to build the houses of the village.",
     [("When was Kelby abbey founded?", "1132"), ("How many manuscripts did its library hold?", "four hundred"),
      ("When was the abbey abandoned?", "1539"), ("What were its stones used for?", "to build the houses of the village")]),
    ("Anna Creel", "Anna Creel was an engineer who designed the harbour wall at Port Alden. The wall, finished in 1889, is 700 metres long. She also built a lighthouse at the end of the wall.",
     [("Who designed the harbour wall?", "Anna Creel"), ("Where is the harbour wall?", "Port Alden"),
      ("When was the wall finished?", "1889"), ("How long is the wall?", "700 metres")]),
    ("Dunmere tram", "The Dunmere tram ran from the station to the harbour between 1901 and 1949. Its cars were painted green and cream. At its busiest it carried four million passengers a year.",
     [("Where did the Dunmere tram run from?", "the station"), ("When did the tram stop running?", "1949"),
      ("What colours were its cars painted?", "green and cream"), ("How many passengers did it carry a year at its busiest?", "four million")]),
    ("Heron Bridge", "Heron Bridge was built of stone across the river Lune in 1704. It has seven arches. The mason who built it, Robert Hale, is buried in the churchyard nearby.",
     [("Which river does Heron Bridge cross?", "Lune"), ("When was Heron Bridge built?", "1704"),
      ("How many arches does it have?", "seven"), ("Who built the bridge?", "Robert Hale")]),
    ("Varrow festival", "Every August the town of Varrow holds a festival of music. It was first held in 1951 and now lasts ten days. The festival ends with a concert in the ruins of the castle.",
     [("When does Varrow hold its festival?", "Every August"), ("When was the festival first held?", "1951"),
      ("How long does the festival last?", "ten days"), ("Where is the final concert?", "in the ruins of the castle")]),
    ("Peter Moss", "Peter Moss was a clockmaker who trained under Lydia Greaves in Dunmere. He moved to Hathel in 1830 and opened a shop on Bridge Street. His clocks are known for their painted moon dials.",
     [("Who trained Peter Moss?", "Lydia Greaves"), ("When did he move to Hathel?", "1830"),
      ("Where did he open a shop?", "Bridge Street"), ("What are his clocks known for?", "their painted moon dials")]),
    ("Skerry harbour", "Skerry harbour was deepened in 1874 so that steamers could enter. About forty fishing boats still land their catch there. The harbour master's office is the oldest building on the quay.",
     [("When was Skerry harbour deepened?", "1874"), ("Why was it deepened?", "so that steamers could enter"),
      ("How many fishing boats land their catch there?", "About forty"), ("What is the oldest building on the quay?", "The harbour master's office")]),
    ("Callow forest", "Callow forest covers 4,000 hectares of the hills west of Oswy. Most of its trees are oak and beech. Red deer and wild boar live in its deeper parts.",
     [("How big is Callow forest?", "4,000 hectares"), ("Where is the forest?", "the hills west of Oswy"),
      ("What are most of its trees?", "oak and beech"), ("Which animals live in its deeper parts?", "Red deer and wild boar")]),
]


def examples(paragraphs, prefix):
    for n, (title, context, qas) in enumerate(paragraphs):
        for k, (question, text) in enumerate(qas):
            assert context.count(text) == 1, (title, text)
            yield {"id": f"{prefix}-{n:02d}-{k}", "title": title, "context": context, "question": question,
                   "answers": {"text": [text], "answer_start": [context.index(text)]}}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    train = list(examples(TRAIN, "train"))
    data = []
    for title, context, _ in TRAIN:
        qas = [{"id": e["id"], "question": e["question"],
                "answers": [{"text": e["answers"]["text"][0], "answer_start": e["answers"]["answer_start"][0]}]}
               for e in train if e["context"] == context]
        data.append({"title": title, "paragraphs": [{"context": context, "qas": qas}]})
    (OUT / "train.json").write_text(json.dumps({"version": "1.1", "data": data}, indent=1, ensure_ascii=False) + "\n")
    dev = list(examples(DEV, "dev"))
    (OUT / "dev.jsonl").write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in dev))
    print(f"train: {len(train)} questions, {len(TRAIN)} paragraphs; dev: {len(dev)} questions, {len(DEV)} paragraphs")


if __name__ == "__main__":
    main()
