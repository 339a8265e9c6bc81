import BertModel
